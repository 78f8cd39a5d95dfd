use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::syntax::Node;
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

pub struct TestingModuleClosed;

static META: RuleMeta = RuleMeta {
    id: "testing-module-closed",
    category: Category::Correctness,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary: "A test that compiles a `TestingModule` closes it (or the app) when it is done",
    docs: r#"## What it does
In test files, reports `Test.createTestingModule(...)` in a file that never calls `.close()` (on
the testing module or on an application created from it).

## Why is this bad?
A testing module holds what its providers opened: database connections, queue clients, timers,
servers. Unclosed, they keep Jest running after the tests (`Jest did not exit one second after
the test run has completed`), leak between test files and exhaust the database's connections in
a long suite.

## Example
```ts,expect_diagnostic,file=app.spec.ts
import { Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';

describe('app', () => {
  it('boots', async () => {
    const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
    expect(moduleRef).toBeDefined();
  });
});
```

Use instead:
```ts
import { TestingModule, Test } from '@nestjs/testing';
import { AppModule } from '../src/app.module';

describe('app', () => {
  let moduleRef: TestingModule;

  beforeAll(async () => {
    moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  });

  afterAll(async () => {
    await moduleRef.close();
  });

  it('boots', () => {
    expect(moduleRef).toBeDefined();
  });
});
```

## When it stays silent
- files with any `.close()` call; files that are not tests.

Off by default: unit tests of providers with only mocks hold nothing that needs closing.

## References
- https://docs.nestjs.com/fundamentals/testing
- https://github.com/trilon-io/eslint-plugin (`enforce-close-testing-module`)
"#,
};

impl Rule for TestingModuleClosed {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["program"]
    }

    fn reports_in_tests(&self) -> bool {
        true
    }

    fn check_node<'t>(&self, _program: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !ctx.is_test {
            return;
        }
        let source = ctx.source.as_bytes();
        let Some(at) = memchr::memmem::find(source, b"createTestingModule") else {
            return;
        };
        if !ctx
            .imports
            .iter()
            .any(|b| b.source.as_str() == "@nestjs/testing")
            || memchr::memmem::find(source, b".close(").is_some()
        {
            return;
        }
        let range = TextRange::new(at, at + "createTestingModule".len());
        ctx.report(
            range,
            "the testing module is compiled but never closed: its connections outlive the test",
        )
        .note("open connections, clients and timers keep Jest running and leak into other test files")
        .help("close it in `afterAll`/`afterEach`: `await moduleRef.close()` (or `await app.close()`)");
    }
}
