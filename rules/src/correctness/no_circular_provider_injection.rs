use std::collections::{BTreeMap, BTreeSet, VecDeque};

use nestlint_diagnostics::Severity;
use nestlint_engine::di::{injected, token_name, Provider, Token};
use nestlint_engine::nest::ClassKey;
use nestlint_engine::{
    Category, DiagnosticExt, FixAvailability, ProjectContext, ProjectIndex, Rule, RuleMeta, Scope,
};

use crate::graph::strongly_connected;

pub struct NoCircularProviderInjection;

static META: RuleMeta = RuleMeta {
    id: "no-circular-provider-injection",
    category: Category::Correctness,
    default_severity: Severity::Error,
    enabled_by_default: true,
    fix: FixAvailability::None,
    scope: Scope::Project,
    summary: "Providers that inject each other do it through `forwardRef()`",
    docs: r#"## What it does
Finds cycles of constructor injections between providers (`InvoicesService` injects
`PaymentsService`, which injects `InvoicesService`, directly or through other providers; a
factory's `inject` and a `useExisting` alias count as injections) where no parameter of the cycle
uses `@Inject(forwardRef(() => ...))`, and reports the cycle once, at one of its parameters, with
labels on the others.

## Why is this bad?
Nest cannot create either provider, and fails at boot. Which error it gives depends on the files:
when the classes' files import each other, one class is still `undefined` when the other's
constructor metadata is written ("Nest can't resolve dependencies of the PaymentsService (?)");
in one file, a `ReferenceError` ("Cannot access 'InvoicesService' before initialization"); with
tokens, "A circular dependency has been detected inside InvoicesService". A cycle is also a
design smell: two services that need each other are one service, or share a third.

## Example
```ts,expect_diagnostic
import { Inject, Injectable, Module } from '@nestjs/common';

@Injectable()
export class InvoicesService {
  constructor(@Inject('PAYMENTS') private readonly payments: unknown) {}
}

@Injectable()
export class PaymentsService {
  constructor(private readonly invoices: InvoicesService) {}
}

@Module({
  providers: [InvoicesService, { provide: 'PAYMENTS', useClass: PaymentsService }],
})
export class BillingModule {}
```

Use instead:
```ts
import { forwardRef, Inject, Injectable, Module } from '@nestjs/common';

@Injectable()
export class InvoicesService {
  constructor(@Inject('PAYMENTS') private readonly payments: unknown) {}
}

@Injectable()
export class PaymentsService {
  constructor(
    @Inject(forwardRef(() => InvoicesService)) private readonly invoices: InvoicesService,
  ) {}
}

@Module({
  providers: [InvoicesService, { provide: 'PAYMENTS', useClass: PaymentsService }],
})
export class BillingModule {}
```

## When it stays silent
A cycle with a `forwardRef()` on one of its parameters is not reported: whether Nest resolves it
depends on the order the files load in. A token registered differently in different modules
(`useClass: A` here, `useValue` there) has no known dependencies, nor has a parameter whose
token the engine cannot read: such edges are left out, so no cycle through them is reported.

## References
- https://docs.nestjs.com/fundamentals/circular-dependency#forward-reference
"#,
};

/// Where an injection of the graph is written: a constructor parameter, or a provider object's
/// `inject`/`useExisting`.
#[derive(Clone, Copy, Debug)]
enum Site {
    Param { declared_in: ClassKey, index: usize },
    Provider,
}

impl Rule for NoCircularProviderInjection {
    fn meta(&self) -> &'static RuleMeta {
        &META
    }

    fn check_project(&self, index: &ProjectIndex, ctx: &mut ProjectContext<'_>) {
        let injection = index.injection();
        // Every registration of each token, over all modules.
        let mut registrations: BTreeMap<&Token, Vec<&Provider>> = BTreeMap::new();
        for scope in injection.scopes.values() {
            for provider in &scope.providers {
                registrations
                    .entry(&provider.token)
                    .or_default()
                    .push(provider);
            }
        }
        let tokens: Vec<&Token> = registrations.keys().copied().collect();
        let node_of: BTreeMap<&Token, usize> =
            tokens.iter().enumerate().map(|(n, t)| (*t, n)).collect();
        let mut edges: BTreeMap<usize, Vec<(usize, Site)>> = BTreeMap::new();
        for (node, token) in tokens.iter().enumerate() {
            let list = edges.entry(node).or_default();
            let providers = &registrations[token];
            let first = providers[0];
            // Registered differently in different modules: which one a module gets is not
            // modelled here, so its dependencies are unknown.
            if providers
                .iter()
                .any(|p| p.class != first.class || p.needs != first.needs)
            {
                continue;
            }
            match first.class {
                Some(class) => {
                    for dependency in injected(index, class) {
                        if dependency.forward_ref {
                            continue;
                        }
                        if let Some(&target) = node_of.get(&dependency.token) {
                            list.push((
                                target,
                                Site::Param {
                                    declared_in: dependency.declared_in,
                                    index: dependency.index,
                                },
                            ));
                        }
                    }
                }
                None => {
                    for need in &first.needs {
                        if let Some(&target) = node_of.get(need) {
                            list.push((target, Site::Provider));
                        }
                    }
                }
            }
        }
        for component in strongly_connected(&edges) {
            let members: BTreeSet<usize> = component.iter().copied().collect();
            let Some(cycle) = shortest_cycle(&edges, &members) else {
                continue;
            };
            report(index, ctx, &tokens, &cycle);
        }
    }
}

/// A shortest cycle through the component's first node that has a reportable parameter, as its
/// edges `(from, to, site)`; `None` for a single node without a self-injection.
fn shortest_cycle(
    edges: &BTreeMap<usize, Vec<(usize, Site)>>,
    members: &BTreeSet<usize>,
) -> Option<Vec<(usize, usize, Site)>> {
    let out = |node: usize| {
        edges
            .get(&node)
            .into_iter()
            .flatten()
            .filter(|(target, _)| members.contains(target))
    };
    for &start in members {
        // Breadth first from `start` back to it.
        let mut previous: BTreeMap<usize, (usize, Site)> = BTreeMap::new();
        let mut queue = VecDeque::from([start]);
        let mut closing = None;
        'search: while let Some(node) = queue.pop_front() {
            for &(target, site) in out(node) {
                if target == start {
                    closing = Some((node, site));
                    break 'search;
                }
                if let std::collections::btree_map::Entry::Vacant(entry) = previous.entry(target) {
                    entry.insert((node, site));
                    queue.push_back(target);
                }
            }
        }
        let (mut node, site) = closing?;
        let mut cycle = vec![(node, start, site)];
        while node != start {
            let (from, site) = *previous.get(&node)?;
            cycle.push((from, node, site));
            node = from;
        }
        cycle.reverse();
        if matches!(cycle[0].2, Site::Param { .. }) {
            return Some(cycle);
        }
    }
    None
}

fn report(
    index: &ProjectIndex,
    ctx: &mut ProjectContext<'_>,
    tokens: &[&Token],
    cycle: &[(usize, usize, Site)],
) {
    // Reported at the first parameter of the cycle in a file the user asked about.
    let Some(position) = cycle.iter().position(|(_, _, site)| match site {
        Site::Param { declared_in, .. } => {
            let file = index.file(declared_in.file);
            file.is_target && !file.is_test
        }
        Site::Provider => false,
    }) else {
        return;
    };
    let mut names: Vec<String> = cycle
        .iter()
        .cycle()
        .skip(position)
        .take(cycle.len())
        .map(|(from, _, _)| token_name(index, tokens[*from]))
        .collect();
    names.push(names[0].clone());
    let (_, to, site) = cycle[position];
    let Site::Param {
        declared_in,
        index: param_index,
    } = site
    else {
        return;
    };
    let class = index.class_at(declared_in);
    let Some(param) = class.constructor_params.get(param_index) else {
        return;
    };
    let target = token_name(index, tokens[to]);
    let message = if cycle.len() == 1 {
        format!("`{}` injects itself", names[0])
    } else {
        format!(
            "providers inject each other without `forwardRef()`: {}",
            names.join(" → ")
        )
    };
    let diagnostic = ctx
        .report(index, declared_in.file, param.range, message)
        .help(format!(
            "move what both need into a provider of its own, or inject with `@Inject(forwardRef(() => {target}))` on both sides of the cycle"
        ))
        .note("Nest cannot create any provider of the cycle: the first one it tries needs one that is not created yet");
    for (from, to, site) in cycle.iter().skip(position + 1).chain(&cycle[..position]) {
        if let Site::Param {
            declared_in,
            index: param_index,
        } = site
        {
            let class = index.class_at(*declared_in);
            if let Some(param) = class.constructor_params.get(*param_index) {
                diagnostic.label(
                    index.file(declared_in.file).path.clone(),
                    param.range,
                    format!(
                        "{} injects {}",
                        token_name(index, tokens[*from]),
                        token_name(index, tokens[*to])
                    ),
                );
            }
        }
    }
}
