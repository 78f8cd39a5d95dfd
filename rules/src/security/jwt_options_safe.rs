use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{named_children, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{is_true, literal_string, object_value, pair_key_among};

pub struct JwtOptionsSafe;

static META: RuleMeta = RuleMeta {
    id: "jwt-options-safe",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "JWT verification checks expiry and never accepts the `none` algorithm",
    docs: r#"## What it does
In a file that imports `passport-jwt`, `@nestjs/jwt` or `jsonwebtoken`, reports:
- `ignoreExpiration: true` in the options of a Passport JWT strategy (an object with
  `jwtFromRequest`);
- `algorithms` listing `'none'` in any options object.

## Why is this bad?
With `ignoreExpiration: true` a token is valid for ever: a token that leaked once (a log, a
browser history, a former employee) signs in until the secret is rotated. The `none` algorithm
means "not signed": anyone can write a token the server accepts.

## Example
```ts,expect_diagnostic
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: true,
      secretOrKey: process.env.JWT_SECRET,
    });
  }
}
```

Use instead:
```ts
import { Injectable } from '@nestjs/common';
import { PassportStrategy } from '@nestjs/passport';
import { ExtractJwt, Strategy } from 'passport-jwt';

@Injectable()
export class JwtStrategy extends PassportStrategy(Strategy) {
  constructor() {
    super({
      jwtFromRequest: ExtractJwt.fromAuthHeaderAsBearerToken(),
      ignoreExpiration: false,
      secretOrKey: process.env.JWT_SECRET,
    });
  }
}
```

## When it stays silent
- `ignoreExpiration` in other objects (a refresh endpoint reading an expired access token with
  `jwtService.verify(token, { ignoreExpiration: true })` on purpose); values not written in
  place; test files.

## References
- https://github.com/mikenicholson/passport-jwt#configure-strategy
- https://cheatsheetseries.owasp.org/cheatsheets/JSON_Web_Token_for_Java_Cheat_Sheet.html
"#,
};

const JWT_PACKAGES: &[&str] = &["passport-jwt", "@nestjs/jwt", "jsonwebtoken"];

impl Rule for JwtOptionsSafe {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn nest_code_only(&self) -> bool {
        true
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["pair"]
    }

    fn check_node<'t>(&self, pair: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        let Some(key) = pair_key_among(pair, ctx, &["ignoreExpiration", "algorithms"]) else {
            return;
        };
        if !ctx
            .imports
            .iter()
            .any(|b| JWT_PACKAGES.contains(&b.source.as_str()))
        {
            return;
        }
        let Some(value) = pair.field(Field::Value).map(unwrap_expression) else {
            return;
        };
        if key == "ignoreExpiration" {
            if !is_true(value) {
                return;
            }
            let Some(object) = pair.parent() else {
                return;
            };
            if object_value(object, "jwtFromRequest", ctx.source)
                .0
                .is_none()
            {
                return;
            }
            ctx.report(
                range_of(pair),
                "`ignoreExpiration: true`: the strategy accepts expired tokens",
            )
            .note("a token that leaked once signs in until the secret is rotated")
            .help("remove it (expiry is checked by default)");
            return;
        }
        if value.kind_name() != "array" {
            return;
        }
        let none = named_children(value).find(|item| {
            literal_string(*item, ctx.source).is_some_and(|s| s.eq_ignore_ascii_case("none"))
        });
        if let Some(none) = none {
            ctx.report(
                range_of(none),
                "the `none` algorithm accepts tokens that are not signed",
            )
            .note("anyone can write a token with `\"alg\": \"none\"` and any claims")
            .help("list only the algorithm the tokens are signed with (`['HS256']`, `['RS256']`)");
        }
    }
}
