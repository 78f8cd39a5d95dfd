import { IsInt, Min } from 'class-validator';

export class CreateOrderDto {
  @IsInt() productId: number;
  @IsInt() @Min(1) quantity: number;
  // Forgotten: accepted unchecked, or stripped with whitelist.
  note?: string;
}
