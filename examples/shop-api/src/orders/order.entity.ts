import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

@Entity()
export class Order {
  @PrimaryGeneratedColumn() id: number;
  @Column() productId: number;
  @Column() quantity: number;
}
