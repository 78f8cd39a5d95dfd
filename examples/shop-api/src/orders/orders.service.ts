import { Injectable } from '@nestjs/common';
import { Repository } from 'typeorm';
import { CreateOrderDto } from './dto/create-order.dto';
import { Order } from './order.entity';

@Injectable()
export class OrdersService {
  // Missing @InjectRepository(Order): Nest cannot resolve this at boot.
  constructor(private readonly orders: Repository<Order>) {}

  create(dto: CreateOrderDto) {
    return this.orders.save(this.orders.create(dto));
  }
}
