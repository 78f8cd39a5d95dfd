import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  // No ValidationPipe: every class-validator decorator in the DTOs is ignored.
  const app = await NestFactory.create(AppModule);
  await app.listen(3000);
}
bootstrap();
