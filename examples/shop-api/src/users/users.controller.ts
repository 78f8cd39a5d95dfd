import { Body, Controller, Post, UseGuards } from '@nestjs/common';
import { JwtService } from '@nestjs/jwt';
import { JwtAuthGuard } from '../auth/jwt-auth.guard';
import type { LoginDto } from './dto/login.dto';

@Controller('users')
export class UsersController {
  constructor(private readonly jwt: JwtService) {}

  @UseGuards(JwtAuthGuard)
  @Post('token')
  token(@Body() login: LoginDto) {
    return this.jwt.sign({ sub: login.email }, { secret: 'hunter2' });
  }

  @UseGuards(JwtAuthGuard)
  @Post('preferences')
  preferences(@Body() body: any) {
    return body;
  }
}
