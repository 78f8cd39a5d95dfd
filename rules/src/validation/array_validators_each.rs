use nestlint_diagnostics::{Edit, Fix, Severity, TextRange};
use nestlint_engine::syntax::nest::{ClassView, DecoratorView, MemberKind};
use nestlint_engine::syntax::{named_children, text, unwrap_expression, Field, Node, NodeExt};
use nestlint_engine::{
    Category, DiagnosticExt, FileContext, FixAvailability, Rule, RuleMeta, Scope,
};

pub struct ArrayValidatorsEach;

static META: RuleMeta = RuleMeta {
    id: "array-validators-each",
    category: Category::Validation,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::Sometimes,
    scope: Scope::File,
    summary: "A class-validator decorator that checks one value sets `{ each: true }` on an array property",
    docs: r#"## What it does
Reports a class-validator decorator that checks a single value (`@IsString()`, `@IsEnum(Role)`,
`@IsUUID()`, `@MaxLength(20)`, ...) on a property typed as an array (`string[]`,
`Array<Role>`, `readonly string[]`, or one of those with `| null` or `| undefined`), when its
validation options do not set `each`.

## Why is this bad?
Without `{ each: true }`, class-validator applies the check to the array itself, and an array is
never a string, an enum member or a UUID: every request that sends the property fails validation
(`tags must be a string`), the empty array included. With `{ each: true }` it checks each element.

`@ValidateNested()` is different: on an array it validates every element whether or not `each`
is set, so it is not reported (class-validator 0.14, checked by running it).

## Example
```ts,expect_diagnostic
import { IsEnum, IsString } from 'class-validator';

export enum Role {
  Admin = 'admin',
  Member = 'member',
}

export class InviteDto {
  @IsString()
  email: string;

  @IsEnum(Role)
  roles: Role[];
}
```

Use instead:
```ts
import { IsEnum, IsString } from 'class-validator';

export enum Role {
  Admin = 'admin',
  Member = 'member',
}

export class InviteDto {
  @IsString()
  email: string;

  @IsEnum(Role, { each: true })
  roles: Role[];
}
```

## Fix
Adds `each: true` to the decorator's validation options, or passes `{ each: true }` when it has
none (arguments it leaves out before them become `undefined`). The fix is unsafe: it changes what
validation accepts, from nothing to arrays whose every element passes.

## When it stays silent
- validation options the rule cannot read (a constant, a spread) or that set `each` already;
- validators that check arrays as a whole (`@IsArray()`, `@ArrayMinSize()`, `@IsNotEmpty()`,
  `@IsOptional()`, `@ValidateNested()`, ...), and decorators that are not class-validator's;
- a property whose type is a union with anything but `null` or `undefined` (`string | string[]`
  may hold one value), a type alias, or no type at all.

## References
- https://github.com/typestack/class-validator#validating-arrays
"#,
};

/// class-validator's decorators that fail on any array unless `each` is set, with the position
/// of their validation options (0.14's signatures). Checked by running them on `[]`, `['a']` and
/// `[1]`: each rejects all three.
const SINGLE_VALUE_VALIDATORS: &[(&str, usize)] = &[
    ("Contains", 1),
    ("IsAlpha", 1),
    ("IsAlphanumeric", 1),
    ("IsBIC", 0),
    ("IsBase64", 1),
    ("IsBoolean", 0),
    ("IsCreditCard", 0),
    ("IsCurrency", 1),
    ("IsDate", 0),
    ("IsDateString", 1),
    ("IsDecimal", 1),
    ("IsDivisibleBy", 1),
    ("IsEmail", 1),
    ("IsEnum", 1),
    ("IsFQDN", 1),
    ("IsHash", 1),
    ("IsHexColor", 0),
    ("IsIP", 1),
    ("IsISIN", 0),
    ("IsISO8601", 1),
    ("IsIn", 1),
    ("IsInstance", 1),
    ("IsInt", 0),
    ("IsJSON", 0),
    ("IsJWT", 0),
    ("IsLatLong", 0),
    ("IsLocale", 0),
    ("IsLowercase", 0),
    ("IsMilitaryTime", 0),
    ("IsMobilePhone", 2),
    ("IsMongoId", 0),
    ("IsNegative", 0),
    ("IsNotEmptyObject", 1),
    ("IsNumber", 1),
    ("IsNumberString", 1),
    ("IsObject", 0),
    ("IsPhoneNumber", 1),
    ("IsPort", 0),
    ("IsPositive", 0),
    ("IsPostalCode", 1),
    ("IsSemVer", 0),
    ("IsStrongPassword", 1),
    ("IsString", 0),
    ("IsTimeZone", 0),
    ("IsUUID", 1),
    ("IsUppercase", 0),
    ("IsUrl", 1),
    ("Length", 2),
    ("Matches", 2),
    ("Max", 1),
    ("MaxDate", 1),
    ("MaxLength", 1),
    ("Min", 1),
    ("MinDate", 1),
    ("MinLength", 1),
];

const CLASS_VALIDATOR: &str = "class-validator";

impl Rule for ArrayValidatorsEach {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn kinds(&self) -> &'static [&'static str] {
        &["class_declaration", "abstract_class_declaration", "class"]
    }

    fn check_node<'t>(&self, node: Node<'t>, ctx: &mut FileContext<'_, 't>) {
        if !ctx
            .imports
            .iter()
            .any(|b| b.source.as_str() == CLASS_VALIDATOR)
        {
            return;
        }
        let Some(class) = ClassView::new(node) else {
            return;
        };
        for member in class.members() {
            if member.kind != MemberKind::Property || member.decorators.is_empty() {
                continue;
            }
            let Some(element) = member
                .type_node()
                .and_then(|t| array_element(t, ctx.source))
            else {
                continue;
            };
            for &decorator in &member.decorators {
                check_decorator(decorator, member.name(ctx.source), element, ctx);
            }
        }
    }
}

fn check_decorator(
    decorator: Node<'_>,
    property: &str,
    element: &str,
    ctx: &mut FileContext<'_, '_>,
) {
    let view = DecoratorView::new(decorator);
    let Some(call) = view.call() else {
        return;
    };
    let Some(callee) = view.callee(ctx.source).filter(|c| c.object.is_none()) else {
        return;
    };
    let Some(binding) = ctx.imports.get(callee.name) else {
        return;
    };
    let Some(&(validator, options_at)) = SINGLE_VALUE_VALIDATORS
        .iter()
        .find(|(name, _)| binding.is(CLASS_VALIDATOR, name))
    else {
        return;
    };
    let args = view.arguments();
    // `@Matches(/re/, { ... })`: the pattern's options come second when no modifiers are given.
    let options_at = if validator == "Matches"
        && args.len() == 2
        && unwrap_expression(args[1]).kind_name() == "object"
    {
        1
    } else {
        options_at
    };
    let Some(arguments) = call.field(Field::Arguments) else {
        return;
    };
    let edit = match args.get(options_at).map(|a| unwrap_expression(*a)) {
        Some(options) if args.len() == options_at + 1 && options.kind_name() == "object" => {
            if sets_each(options, ctx.source) {
                return;
            }
            add_each(options, ctx.source)
        }
        // Options the rule cannot read, or more arguments than the signature takes.
        Some(_) => return,
        None => pass_options(arguments, &args, options_at, validator, ctx.source),
    };
    let fix = edit.map(|edit| Fix::unsafe_edits("set `each: true`", vec![edit]));
    ctx.report(
        TextRange::new(decorator.start_byte(), decorator.end_byte()),
        format!(
            "`@{}` checks `{property}` itself, an array of `{element}`: it rejects every array, so validation fails whenever the property is sent",
            callee.name
        ),
    )
    .note("without `each`, class-validator applies the check to the array, never to its elements")
    .help("pass `{ each: true }` in its validation options to check each element")
    .fix(fix);
}

/// The element type, as written, of an array type (`T[]`, `Array<T>`, `ReadonlyArray<T>`,
/// `readonly T[]`), also when it is in a union with `null` or `undefined` only.
fn array_element<'s>(node: Node<'_>, source: &'s str) -> Option<&'s str> {
    match node.kind_name() {
        "array_type" => named_children(node).next().map(|e| text(e, source)),
        "readonly_type" => named_children(node)
            .next()
            .and_then(|inner| array_element(inner, source)),
        "generic_type" => {
            let name = node.field(Field::Name).map(|n| text(n, source))?;
            if !matches!(name, "Array" | "ReadonlyArray") {
                return None;
            }
            let arguments = node.field(Field::TypeArguments)?;
            let mut elements = named_children(arguments);
            let element = elements.next()?;
            elements.next().is_none().then(|| text(element, source))
        }
        "union_type" => {
            let mut element = None;
            for member in named_children(node) {
                if is_nullish(member, source) {
                    continue;
                }
                if element.is_some() {
                    return None;
                }
                element = Some(array_element(member, source)?);
            }
            element
        }
        "parenthesized_type" => named_children(node)
            .next()
            .and_then(|inner| array_element(inner, source)),
        _ => None,
    }
}

fn is_nullish(node: Node<'_>, source: &str) -> bool {
    matches!(text(node, source), "null" | "undefined")
}

/// Whether an options object has an `each` key (whatever its value: `each: false` is a choice).
fn sets_each(options: Node<'_>, source: &str) -> bool {
    named_children(options).any(|entry| match entry.kind_name() {
        "pair" => entry
            .field(Field::Key)
            .is_some_and(|key| matches!(text(key, source), "each" | "'each'" | "\"each\"")),
        "shorthand_property_identifier" => text(entry, source) == "each",
        // A spread may set it.
        _ => true,
    })
}

/// `each: true` added to a readable options object.
fn add_each(options: Node<'_>, source: &str) -> Option<Edit> {
    if named_children(options).all(|n| n.kind_name() == "comment") {
        // `{}`: replaced whole.
        return Some(Edit::replacement(
            TextRange::new(options.start_byte(), options.end_byte()),
            "{ each: true }",
        ));
    }
    crate::decorators::append_entry(options, source, "each: true")
}

/// `{ each: true }` passed as the options of a call with `args`, the optional arguments it
/// leaves out before them written as `undefined`.
fn pass_options(
    arguments: Node<'_>,
    args: &[Node<'_>],
    options_at: usize,
    validator: &str,
    source: &str,
) -> Option<Edit> {
    if args.is_empty() && TAKES_A_VALUE_FIRST.contains(&validator) {
        // `@IsEnum()` does not compile: there is nothing to fill in for the enum.
        return None;
    }
    let mut added: Vec<&str> = vec!["undefined"; options_at - args.len()];
    added.push("{ each: true }");
    let added = added.join(", ");
    match args.last() {
        Some(last) => Some(Edit::insertion(last.end_byte(), format!(", {added}"))),
        None => {
            let inside = source.get(arguments.start_byte()..arguments.end_byte())?;
            inside
                .ends_with(')')
                .then(|| Edit::insertion(arguments.end_byte() - 1, added))
        }
    }
}

/// Validators whose first argument is required: an enum, a bound, a pattern.
const TAKES_A_VALUE_FIRST: &[&str] = &[
    "Contains",
    "IsDivisibleBy",
    "IsEnum",
    "IsHash",
    "IsIn",
    "IsInstance",
    "Length",
    "Matches",
    "Max",
    "MaxDate",
    "MaxLength",
    "Min",
    "MinDate",
    "MinLength",
];
