#!/usr/bin/env python3
"""Writes a deterministic synthetic NestJS project: FEATURES feature folders of five files each
(module, controller, service, DTO, entity) plus app.module.ts and main.ts.

usage: generate.py OUT_DIR FEATURES
"""
import os
import sys

out, features = sys.argv[1], int(sys.argv[2])
os.makedirs(f"{out}/src", exist_ok=True)
with open(f"{out}/package.json", "w") as f:
    f.write('{"name":"bench","dependencies":{"@nestjs/common":"*","@nestjs/core":"*","@nestjs/typeorm":"*","class-validator":"*","typeorm":"*"}}\n')

def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)

names = []
for i in range(features):
    n = f"Item{i}"
    d = f"{out}/src/item{i}"
    names.append((n, f"./item{i}/item{i}.module"))
    write(f"{d}/item{i}.entity.ts", f"""import {{ Column, Entity, PrimaryGeneratedColumn }} from 'typeorm';

@Entity()
export class {n} {{
  @PrimaryGeneratedColumn() id: number;
  @Column() name: string;
  @Column({{ nullable: true }}) description?: string;
  @Column() price: number;
}}
""")
    write(f"{d}/create-item{i}.dto.ts", f"""import {{ IsInt, IsOptional, IsString, Length, Min }} from 'class-validator';

export class Create{n}Dto {{
  @IsString() @Length(1, 80) name: string;
  @IsOptional() @IsString() description?: string;
  @IsInt() @Min(0) price: number;
  {'notes?: string;' if i % 10 == 0 else ''}
}}
""")
    write(f"{d}/item{i}.service.ts", f"""import {{ Injectable, NotFoundException }} from '@nestjs/common';
import {{ InjectRepository }} from '@nestjs/typeorm';
import {{ Repository }} from 'typeorm';
import {{ Create{n}Dto }} from './create-item{i}.dto';
import {{ {n} }} from './item{i}.entity';

@Injectable()
export class {n}Service {{
  constructor(@InjectRepository({n}) private readonly repo: Repository<{n}>) {{}}

  async findAll(take = 20, skip = 0): Promise<{n}[]> {{
    return this.repo.find({{ take, skip, order: {{ id: 'ASC' }} }});
  }}

  async findOne(id: number): Promise<{n}> {{
    const found = await this.repo.findOne({{ where: {{ id }} }});
    if (!found) {{
      throw new NotFoundException(`{n} ${{id}} not found`);
    }}
    return found;
  }}

  create(dto: Create{n}Dto) {{
    return this.repo.save(this.repo.create(dto));
  }}
}}
""")
    guard = "@UseGuards(AuthGuard('jwt'))\n" if i % 7 else ""
    write(f"{d}/item{i}.controller.ts", f"""import {{ Body, Controller, Get, Param, ParseIntPipe, Post, Query, UseGuards }} from '@nestjs/common';
import {{ AuthGuard }} from '@nestjs/passport';
import {{ Create{n}Dto }} from './create-item{i}.dto';
import {{ {n}Service }} from './item{i}.service';

{guard}@Controller('item{i}')
export class {n}Controller {{
  constructor(private readonly service: {n}Service) {{}}

  @Get()
  findAll(@Query('take') take?: number) {{
    return this.service.findAll(take);
  }}

  @Get(':id')
  findOne(@Param('id', ParseIntPipe) id: number) {{
    return this.service.findOne(id);
  }}

  @Post()
  create(@Body() dto: Create{n}Dto) {{
    return this.service.create(dto);
  }}
}}
""")
    write(f"{d}/item{i}.module.ts", f"""import {{ Module }} from '@nestjs/common';
import {{ TypeOrmModule }} from '@nestjs/typeorm';
import {{ {n}Controller }} from './item{i}.controller';
import {{ {n} }} from './item{i}.entity';
import {{ {n}Service }} from './item{i}.service';

@Module({{
  imports: [TypeOrmModule.forFeature([{n}])],
  controllers: [{n}Controller],
  providers: [{n}Service],
  exports: [{n}Service],
}})
export class {n}Module {{}}
""")
imports = "\n".join(f"import {{ {n}Module }} from '{p}';" for n, p in names)
mods = ",\n    ".join(f"{n}Module" for n, _ in names)
write(f"{out}/src/app.module.ts", f"""import {{ Module }} from '@nestjs/common';
{imports}

@Module({{
  imports: [
    {mods},
  ],
}})
export class AppModule {{}}
""")
write(f"{out}/src/main.ts", """import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';

async function bootstrap() {
  const app = await NestFactory.create(AppModule);
  app.useGlobalPipes(new ValidationPipe({ whitelist: true }));
  await app.listen(3000);
}
bootstrap();
""")
