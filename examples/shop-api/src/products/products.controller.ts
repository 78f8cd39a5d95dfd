import { Controller, Get, Post, Body, UseGuards } from '@nestjs/common';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import { Public } from '../public.decorator';
import { ProductsService } from './products.service';

interface CreateProductInput {
  name: string;
}

@Controller('products')
export class ProductsController {
  constructor(private readonly productsService: ProductsService) {}

  @Public()
  @Get()
  findAll() {
    return this.productsService.findAll();
  }

  // An interface is erased at run time: ValidationPipe cannot check it.
  @UseGuards(JwtAuthGuard)
  @Post()
  create(@Body() input: CreateProductInput) {
    return input;
  }
}
