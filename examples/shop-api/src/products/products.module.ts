import { Module } from '@nestjs/common';
import { ProductsController } from './products.controller';
import { ProductsService } from './products.service';

// Product is never registered with TypeOrmModule.forFeature([Product]).
@Module({
  controllers: [ProductsController],
  providers: [ProductsService],
})
export class ProductsModule {}
