use nestlint_diagnostics::Severity;
use nestlint_engine::facts::range_of;
use nestlint_engine::syntax::{unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

use crate::code::{gated_on_environment, pair_key_among};

pub struct NoCsrfDisabled;

static META: RuleMeta = RuleMeta {
    id: "no-csrf-disabled",
    category: Category::Security,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "CSRF protection is not switched off (`csrf: false`, `csrfPrevention: false`)",
    docs: r#"## What it does
Reports `csrf: false`, `csrfProtection: false` and Apollo's `csrfPrevention: false` written in
options, outside a branch for one kind of environment and outside tests.

## Why is this bad?
With the protection off, a page on any site can make the user's browser send a request that
changes state (a transfer, a password change, a GraphQL mutation) with the user's cookies.
Apollo Server's `csrfPrevention` blocks the simple requests browsers send without a preflight;
turning it off reopens them.

## Example
```ts,expect_diagnostic
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';

@Module({
  imports: [
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
      csrfPrevention: false,
    }),
  ],
})
export class AppModule {}
```

Use instead:
```ts
import { ApolloDriver, ApolloDriverConfig } from '@nestjs/apollo';
import { Module } from '@nestjs/common';
import { GraphQLModule } from '@nestjs/graphql';

@Module({
  imports: [
    GraphQLModule.forRoot<ApolloDriverConfig>({
      driver: ApolloDriver,
      autoSchemaFile: true,
    }),
  ],
})
export class AppModule {}
```

## When it stays silent
- values decided at run time, settings in a branch for one kind of environment; test files.

## References
- https://owasp.org/www-community/attacks/csrf
- https://www.apollographql.com/docs/apollo-server/security/cors#preventing-cross-site-request-forgery-csrf
- https://docs.nestjs.com/security/csrf
"#,
};

impl Rule for NoCsrfDisabled {
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
        let Some(key) = pair_key_among(pair, ctx, &["csrf", "csrfProtection", "csrfPrevention"])
        else {
            return;
        };
        let is_false = pair
            .field(Field::Value)
            .map(unwrap_expression)
            .is_some_and(|v| v.kind_name() == "false");
        if !is_false || gated_on_environment(pair, ctx.source) {
            return;
        }
        ctx.report(range_of(pair), format!("`{key}: false` turns CSRF protection off"))
            .note("any site can make the user's browser send state-changing requests with the user's cookies")
            .help("remove it; if a client cannot send the header the protection asks for, configure that client");
    }
}
