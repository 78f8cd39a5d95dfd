#!/usr/bin/env python3
"""Writes a deterministic synthetic NestJS project: FEATURES feature folders of six files each
(module, controller, service, DTO, entity, and a helper three directories down), plus
app.module.ts and main.ts, and what real apps have that small features do not: a `@common`
path alias (tsconfig `paths`) to a barrel (`export * from` every helper of src/common), a global
module providing those helpers, deep relative imports, and a big service in every tenth feature.

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

write(f"{out}/tsconfig.json", """{
  "compilerOptions": {
    "baseUrl": ".",
    "paths": { "@common": ["src/common/index.ts"], "@common/*": ["src/common/*"] },
    "experimentalDecorators": true,
    "emitDecoratorMetadata": true
  }
}
""")
helpers = max(20, features // 10)
for k in range(helpers):
    write(f"{out}/src/common/util{k}.ts", f"""import {{ Injectable }} from '@nestjs/common';

export function format{k}(value: string): string {{
  return value.trim().toLowerCase() + '-{k}';
}}

@Injectable()
export class Util{k} {{
  slug(value: string): string {{
    return format{k}(value).replace(/[^a-z0-9]+/g, '-');
  }}
}}
""")
write(f"{out}/src/common/index.ts", "".join(f"export * from './util{k}';\n" for k in range(helpers)))
write(f"{out}/src/common/common.module.ts", f"""import {{ Global, Module }} from '@nestjs/common';
import {{ {', '.join(f'Util{k}' for k in range(helpers))} }} from '@common';

const UTILS = [{', '.join(f'Util{k}' for k in range(helpers))}];

@Global()
@Module({{ providers: [...UTILS], exports: [...UTILS] }})
export class CommonModule {{}}
""")

def big_methods(i):
    """Forty more methods in every tenth service: real services are long."""
    if i % 10:
        return ""
    return "".join(f"""
  async method{m}(id: number, limit = {m + 1}): Promise<number> {{
    const rows = await this.repo.find({{ where: {{ id }}, take: limit }});
    let total = 0;
    for (const row of rows) {{
      if (row.price > {m}) {{
        total += row.price * {m + 2};
      }} else if (row.description) {{
        total += row.description.length;
      }}
    }}
    return total;
  }}
""" for m in range(40))

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
import {{ Util{i % helpers} }} from '@common';
import {{ Create{n}Dto }} from './create-item{i}.dto';
import {{ {n} }} from './item{i}.entity';
import {{ describe{i} }} from './internal/a/b/describe';

@Injectable()
export class {n}Service {{
  constructor(
    @InjectRepository({n}) private readonly repo: Repository<{n}>,
    private readonly util: Util{i % helpers},
  ) {{}}
{big_methods(i)}
  describe(item: {n}): string {{
    return describe{i}(this.util.slug(item.name));
  }}

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
    write(f"{d}/internal/a/b/describe.ts", f"""import {{ format{i % helpers} }} from '../../../../common/util{i % helpers}';

export function describe{i}(slug: string): string {{
  return format{i % helpers}(slug);
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
import {{ CommonModule }} from './common/common.module';
{imports}

@Module({{
  imports: [
    CommonModule,
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
