use nestlint_diagnostics::{Severity, TextRange};
use nestlint_engine::nest::{NEST_COMMON, ROUTE_DECORATORS};

use crate::decorators::is_imported;
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, MemberKind};
use nestlint_engine::syntax::{
    named_children, string_value, text, unwrap_expression, Field, Node, NodeExt,
};
use nestlint_engine::{
    options_from, Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta,
    RuleOptions, Scope,
};

pub struct EndpointNamingConvention;

/// `[rules] endpoint-naming-convention = { level = "warn", case = "kebab-case", plural = true, allow = [] }`
#[derive(Debug, Default, serde::Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct EndpointNamingOptions {
    #[serde(default)]
    case: CaseFormat,
    /// Check that controllers name plural resources (off: most singular controller paths in
    /// real apps are not collections).
    #[serde(default)]
    plural: bool,
    /// Controller path segments not held to the plural check, besides [`NOT_RESOURCES`].
    #[serde(default)]
    allow: Vec<String>,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Deserialize)]
enum CaseFormat {
    #[default]
    #[serde(rename = "kebab-case")]
    Kebab,
    #[serde(rename = "snake_case")]
    Snake,
    #[serde(rename = "camelCase")]
    Camel,
}

impl CaseFormat {
    fn name(self) -> &'static str {
        match self {
            CaseFormat::Kebab => "kebab-case",
            CaseFormat::Snake => "snake_case",
            CaseFormat::Camel => "camelCase",
        }
    }

    /// Whether a static path segment is written in this case. Dots separate words too
    /// (`sitemap.xml`, `.well-known`).
    fn matches(self, segment: &str) -> bool {
        // `.well-known`, and `_health` or `_next` (internal and reserved paths).
        let segment = segment
            .strip_prefix('.')
            .or_else(|| segment.strip_prefix('_'))
            .unwrap_or(segment);
        segment.split('.').all(|part| {
            let mut words: Box<dyn Iterator<Item = &str>> = match self {
                CaseFormat::Kebab => Box::new(part.split('-')),
                CaseFormat::Snake => Box::new(part.split('_')),
                CaseFormat::Camel => Box::new(std::iter::once(part)),
            };
            words.all(|word| match self {
                CaseFormat::Camel => {
                    word.starts_with(|c: char| c.is_ascii_lowercase() || c.is_ascii_digit())
                        && word.chars().all(|c| c.is_ascii_alphanumeric())
                }
                _ => {
                    !word.is_empty()
                        && word
                            .chars()
                            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit())
                }
            })
        })
    }

    /// The segment rewritten in this case (`getAll` → `get-all`).
    fn convert(self, segment: &str) -> String {
        let mut words: Vec<String> = Vec::new();
        let mut current = String::new();
        let mut previous_lower = false;
        for c in segment.chars() {
            if matches!(c, '-' | '_' | ' ') {
                if !current.is_empty() {
                    words.push(std::mem::take(&mut current));
                }
                previous_lower = false;
                continue;
            }
            if c.is_ascii_uppercase() && previous_lower && !current.is_empty() {
                words.push(std::mem::take(&mut current));
            }
            previous_lower = c.is_ascii_lowercase() || c.is_ascii_digit();
            current.push(c.to_ascii_lowercase());
        }
        if !current.is_empty() {
            words.push(current);
        }
        match self {
            CaseFormat::Kebab => words.join("-"),
            CaseFormat::Snake => words.join("_"),
            CaseFormat::Camel => words
                .iter()
                .enumerate()
                .map(|(i, w)| {
                    if i == 0 {
                        w.clone()
                    } else {
                        let mut chars = w.chars();
                        chars
                            .next()
                            .map(|f| f.to_ascii_uppercase().to_string() + chars.as_str())
                            .unwrap_or_default()
                    }
                })
                .collect(),
        }
    }
}

static META: RuleMeta = RuleMeta {
    id: "endpoint-naming-convention",
    category: Category::Style,
    default_severity: Severity::Warning,
    enabled_by_default: false,
    fix: FixAvailability::None,
    scope: Scope::File,
    summary:
        "Route paths are kebab-case (or the configured case) and controllers name plural resources",
    docs: r#"## What it does
Reports, in the string paths of `@Controller()` and of route decorators (`@Get()`, `@Post()`,
...):
- a static segment not written in the configured case (kebab-case by default: `active-users`,
  not `activeUsers`, `active_users` or `ActiveUsers`);
- with `plural = true`, a controller whose resource, the last static segment of its path, is
  singular (`user` rather than `users`), judged by an English inflection list (`people`,
  `categories`, `media`, `news` and `analytics` are plural; `person`, `category` are not).

Off by default: URL style is a team's convention. Turn it on with
`endpoint-naming-convention = "warn"` in `[rules]`.

## Why is this bad?
Consistent URLs are predictable for the clients of an API: one word separator everywhere, and
collections named as collections (`GET /users`, `GET /users/:id`).

## Example
```ts,expect_diagnostic
import { Controller, Get } from '@nestjs/common';

@Controller('user-profiles')
export class UserProfileController {
  @Get('getAll')
  list() {
    return [];
  }
}
```

Use instead:
```ts
import { Controller, Get } from '@nestjs/common';

@Controller('user-profiles')
export class UserProfileController {
  @Get()
  list() {
    return [];
  }
}
```

## Options
```toml
[rules]
endpoint-naming-convention = { level = "warn", case = "snake_case", plural = true, allow = ["inventory"] }
```
- `case`: `"kebab-case"` (default), `"snake_case"` or `"camelCase"`;
- `plural`: check that controllers name plural resources (default `false`: on real apps most
  singular controller paths are not collections: `auth/google`, `portfolio`, `import`, `inbox`,
  `onboarding`);
- `allow`: more controller segments that are not collections (besides `auth`, `admin`, `health`,
  `me`, `status`, `search`, `login`, `logout`, `register`, `signup`, `signin`, `graphql`, `api`,
  `app`, `metrics`, `config`, `upload`, `download`, `webhook`, `oauth`, `sso`, `dashboard`).

## When it stays silent
- a leading `_` or `.` (`_health`, `_next`, `.well-known`): the rest of the segment is checked;
- parameters (`:id`, `:id(\\d+)`), wildcards and patterns (`*`, `(`, `?`, `+`, `{`), version
  segments (`v1`), and `resource:action` segments;
- paths that are not string literals (constants, templates with substitutions);
- words English does not count (`health`, `data`, `feedback`, `equipment`) for the plural check.

## References
- https://restfulapi.net/resource-naming/
"#,
};

/// Controller segments that name a function of the application, not a collection.
const NOT_RESOURCES: &[&str] = &[
    "admin",
    "api",
    "app",
    "auth",
    "config",
    "dashboard",
    "download",
    "graphql",
    "health",
    "login",
    "logout",
    "me",
    "metrics",
    "oauth",
    "register",
    "search",
    "signin",
    "signup",
    "sso",
    "status",
    "upload",
    "webhook",
];

impl Rule for EndpointNamingConvention {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn parse_options(&self, table: &toml::Table) -> Result<RuleOptions, String> {
        options_from::<EndpointNamingOptions>(table)
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        // Only files that can hold Nest's decorators.
        if !ctx
            .imports
            .iter()
            .any(|b| b.source.as_str() == "@nestjs/common")
        {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        let Some(controller) = ctx
            .class_decorators(&class)
            .into_iter()
            .find(|d| is_imported(*d, ctx, NEST_COMMON, &["Controller"]))
        else {
            return;
        };
        let default_options = EndpointNamingOptions::default();
        let options = ctx
            .options::<EndpointNamingOptions>()
            .unwrap_or(&default_options);
        let (case, plural) = (options.case, options.plural);
        let allow: Vec<String> = options.allow.clone();
        for path in decorator_paths(controller, true, ctx.source) {
            if check_case(path, case, "@Controller()", ctx) || !plural {
                continue;
            }
            check_plural(path, case, &allow, ctx);
        }
        for member in class.members() {
            if member.kind != MemberKind::Method {
                continue;
            }
            for &decorator in &member.decorators {
                if !is_imported(decorator, ctx, NEST_COMMON, ROUTE_DECORATORS) {
                    continue;
                }
                let name = DecoratorView::new(decorator)
                    .callee(ctx.source)
                    .map(|c| c.name)
                    .unwrap_or("Get");
                for path in decorator_paths(decorator, false, ctx.source) {
                    check_case(path, case, &format!("@{name}()"), ctx);
                }
            }
        }
    }
}

/// The string literals that give a decorator's paths: its first argument, an array of them,
/// or (for `@Controller`) the `path` of its options object.
fn decorator_paths<'t>(decorator: Node<'t>, controller: bool, source: &str) -> Vec<Node<'t>> {
    let Some(first) = DecoratorView::new(decorator)
        .arguments()
        .first()
        .map(|a| unwrap_expression(*a))
    else {
        return Vec::new();
    };
    let value = if controller && first.kind_name() == "object" {
        let Some(path) = named_children(first).find(|pair| {
            pair.kind_name() == "pair"
                && pair
                    .field(Field::Key)
                    .is_some_and(|k| matches!(text(k, source), "path" | "'path'" | "\"path\""))
        }) else {
            return Vec::new();
        };
        match path.field(Field::Value) {
            Some(value) => unwrap_expression(value),
            None => return Vec::new(),
        }
    } else {
        first
    };
    match value.kind_name() {
        "string" | "template_string" => vec![value],
        "array" => named_children(value)
            .filter(|e| matches!(e.kind_name(), "string" | "template_string"))
            .collect(),
        _ => Vec::new(),
    }
}

/// The static segments of a path, each with its byte offset in the path.
fn static_segments(path: &str) -> Vec<(usize, &str)> {
    let mut out = Vec::new();
    let mut offset = 0;
    for segment in path.split('/') {
        let start = offset;
        offset += segment.len() + 1;
        if segment.is_empty() || segment.starts_with(':') {
            continue;
        }
        // Wildcards, regular expressions, `resource:action`.
        if segment.contains(['*', '(', ')', '?', '+', '{', '}', '[', ']', '$', '\\', ':']) {
            continue;
        }
        // A version: `v1`, `v2.1`.
        if segment.len() > 1
            && segment.starts_with('v')
            && segment[1..].chars().all(|c| c.is_ascii_digit() || c == '.')
        {
            continue;
        }
        out.push((start, segment));
    }
    out
}

/// Reports the first segment of `literal` not in `case`; returns whether it did.
fn check_case(
    literal: Node<'_>,
    case: CaseFormat,
    owner: &str,
    ctx: &mut FileContext<'_, '_>,
) -> bool {
    let Some(path) = string_value(literal, ctx.source) else {
        return false;
    };
    // Offsets into the literal's text hold only without escapes.
    let raw = text(literal, ctx.source);
    let exact = raw.get(1..raw.len().saturating_sub(1)) == Some(path.as_str());
    let Some(&(at, segment)) = static_segments(&path)
        .iter()
        .find(|(_, s)| !case.matches(s))
    else {
        return false;
    };
    let range = if exact {
        let start = literal.start_byte() + 1 + at;
        TextRange::new(start, start + segment.len())
    } else {
        TextRange::new(literal.start_byte(), literal.end_byte())
    };
    let prefix = &segment[..segment.len() - segment.trim_start_matches(['_', '.']).len()];
    let suggestion = format!("{prefix}{}", case.convert(&segment[prefix.len()..]));
    ctx.report(
        range,
        format!(
            "path segment `{segment}` of `{owner}` is not {}",
            case.name()
        ),
    )
    .help(format!(
        "write it `{suggestion}` (a URL change: its clients must follow)"
    ));
    true
}

/// Reports a controller path whose resource (its last static segment) is singular.
fn check_plural(
    literal: Node<'_>,
    case: CaseFormat,
    allow: &[String],
    ctx: &mut FileContext<'_, '_>,
) {
    let Some(path) = string_value(literal, ctx.source) else {
        return;
    };
    let Some(&(at, resource)) = static_segments(&path).last() else {
        return;
    };
    let lower = resource.to_ascii_lowercase();
    if NOT_RESOURCES.contains(&lower.as_str())
        || allow.iter().any(|a| a.eq_ignore_ascii_case(resource))
    {
        return;
    }
    // The inflection works on the last word: `order-item` → `order-items`.
    let separator = match case {
        CaseFormat::Kebab => Some('-'),
        CaseFormat::Snake => Some('_'),
        CaseFormat::Camel => None,
    };
    let (head, word) = match separator.and_then(|s| resource.rfind(s)) {
        Some(i) => resource.split_at(i + 1),
        None => ("", resource),
    };
    if word.is_empty() || !word.chars().all(|c| c.is_ascii_alphabetic()) {
        return;
    }
    let plural = pluralizer::pluralize(word, 2, false);
    if plural == word {
        return;
    }
    let raw = text(literal, ctx.source);
    let exact = raw.get(1..raw.len().saturating_sub(1)) == Some(path.as_str());
    let range = if exact {
        let start = literal.start_byte() + 1 + at;
        TextRange::new(start, start + resource.len())
    } else {
        TextRange::new(literal.start_byte(), literal.end_byte())
    };
    ctx.report(
        range,
        format!("controller path `{resource}` names a single resource; a collection is plural: `{head}{plural}`"),
    )
    .help("name the collection in the plural, or add the segment to the rule's `allow` option if it is not a collection");
}
