//! The rule API. A rule declares the node kinds it wants (`kinds`) and is called for each such node
//! during the file's single traversal (`check_node`); it may also run over the whole project's facts
//! (`check_project`). Rules that need both halves pass data from one to the other with `stash`.

use std::any::Any;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use nestlint_diagnostics::{Diagnostic, Fix, Severity, TextRange};
use nestlint_syntax::{Field, Imports, Node, NodeExt};

use crate::index::{FileId, ProjectIndex};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Category {
    /// Code that fails at boot or at run time (DI, module wiring).
    Correctness,
    /// Code that exposes the application (auth, secrets).
    Security,
    /// Request input that is not validated.
    Validation,
    /// OpenAPI documentation gaps.
    Openapi,
    /// Idiomatic NestJS.
    Style,
    /// Performance pitfalls.
    Performance,
    /// Suppression comments that do nothing or cannot be read.
    Suppressions,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Category::Correctness => "correctness",
            Category::Security => "security",
            Category::Validation => "validation",
            Category::Openapi => "openapi",
            Category::Style => "style",
            Category::Performance => "performance",
            Category::Suppressions => "suppressions",
        }
    }

    pub const ALL: [Category; 7] = [
        Category::Correctness,
        Category::Security,
        Category::Validation,
        Category::Openapi,
        Category::Style,
        Category::Performance,
        Category::Suppressions,
    ];

    pub fn parse(name: &str) -> Option<Category> {
        Category::ALL.into_iter().find(|c| c.as_str() == name)
    }
}

/// A rule's parsed options (see [`Rule::parse_options`]); rules read them back with
/// `ctx.options::<T>()`.
pub type RuleOptions = Arc<dyn Any + Send + Sync>;

/// Parses a rule's options table into `T` (use `#[serde(deny_unknown_fields, rename_all =
/// "kebab-case")]` so misspelt options are errors).
pub fn options_from<T>(table: &toml::Table) -> Result<RuleOptions, String>
where
    T: serde::de::DeserializeOwned + Send + Sync + 'static,
{
    T::deserialize(toml::Value::Table(table.clone()))
        .map(|options| Arc::new(options) as RuleOptions)
        .map_err(|e| e.message().trim().to_owned())
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixAvailability {
    None,
    Sometimes,
    Always,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Scope {
    /// Needs only the file.
    File,
    /// Needs the project's facts (other files).
    Project,
}

/// What the registry, the docs and the reporters know about a rule.
#[derive(Debug)]
pub struct RuleMeta {
    /// kebab-case id, also the rule's file name.
    pub id: &'static str,
    pub category: Category,
    /// The level the rule reports at when it is on.
    pub default_severity: Severity,
    /// Whether the rule is on without configuration. Opinionated rules (style, naming) are off
    /// until a config level, `--select` or `--warn`/`--deny` turns them on, at
    /// `default_severity` for `--select`.
    pub enabled_by_default: bool,
    pub fix: FixAvailability,
    pub scope: Scope,
    /// One line: what the rule checks.
    pub summary: &'static str,
    /// The full documentation (Markdown: what it does, why, example, how to fix).
    pub docs: &'static str,
}

pub trait Rule: Send + Sync {
    fn meta(&self) -> &'static RuleMeta;

    /// The node kinds `check_node` is called for. The traversal does not descend into
    /// [`TYPE_LEVEL_KINDS`] (type annotations and declarations, imports, string literals: no
    /// run-time code) unless a rule says [`Rule::sees_type_level`].
    fn kinds(&self) -> &'static [&'static str] {
        &[]
    }

    /// Whether the rule judges only code that runs in Nest: files of a package that depends on
    /// `@nestjs/core` or `@nestjs/common` (or with no manifest above them). Front-end code and
    /// tools that share a monorepo with the server are then not dispatched to it.
    fn nest_code_only(&self) -> bool {
        false
    }

    /// Whether `check_node` must see nodes inside [`TYPE_LEVEL_KINDS`] too.
    fn sees_type_level(&self) -> bool {
        false
    }

    fn check_node<'t>(&self, _node: Node<'t>, _ctx: &mut FileContext<'_, 't>) {}

    fn check_project(&self, _index: &ProjectIndex, _ctx: &mut ProjectContext<'_>) {}

    /// Whether the rule's findings in test code ([`crate::workspace::is_test_file`]) are
    /// reported. Most rules judge production code: a controller in an e2e fixture serves no
    /// traffic, a secret in a spec is a test key.
    fn reports_in_tests(&self) -> bool {
        false
    }

    /// Parses the options of `[rules] id = { level = "...", ... }` (without `level`). Rules with
    /// options override this with [`options_from`].
    fn parse_options(&self, table: &toml::Table) -> Result<RuleOptions, String> {
        let names: Vec<&str> = table.keys().map(String::as_str).collect();
        Err(format!(
            "this rule takes no options (found `{}`)",
            names.join("`, `")
        ))
    }
}

/// Nodes whose insides hold no run-time code: what they contain is types, module specifiers or
/// string contents. The nodes themselves are visited; their descendants are not, unless a rule
/// asks ([`Rule::sees_type_level`]) or the file has a suppression comment (which may sit anywhere).
/// Facts read imports and annotations directly, not through the traversal.
pub const TYPE_LEVEL_KINDS: &[&str] = &[
    // `declare class X {}`, `declare module '...' { ... }`: declarations of what exists elsewhere.
    "ambient_declaration",
    "import_statement",
    "interface_declaration",
    "string",
    "type_alias_declaration",
    "type_annotation",
    "type_arguments",
    "type_parameters",
];

pub use nestlint_semantic::Stash;

/// What a rule sees while its file is traversed.
pub struct FileContext<'a, 't> {
    pub path: &'a Arc<PathBuf>,
    pub source: &'a str,
    pub imports: &'a Imports,
    pub is_test: bool,
    pub(crate) rule: &'static RuleMeta,
    pub(crate) options: Option<&'a RuleOptions>,
    pub(crate) diagnostics: &'a mut Vec<Diagnostic>,
    pub(crate) stash: &'a mut Vec<(&'static str, Stash)>,
    pub(crate) scope: &'a FileScope<'t>,
    /// The last `export_statement` the traversal entered: the parent of an exported class
    /// without asking tree-sitter, whose `parent()` descends from the root.
    pub(crate) export_statement: Option<Node<'t>>,
    /// What several rules ask of the node being dispatched, computed once for all of them.
    pub(crate) memo: &'a NodeMemo,
}

/// Answers about the node the traversal is dispatching, shared by the rules it is dispatched
/// to (each keyed by the node's id: a rule asking about another node computes its own answer).
#[derive(Default)]
pub struct NodeMemo {
    call_name: std::cell::OnceCell<(usize, Option<std::ops::Range<usize>>)>,
}

/// What every rule may ask of the file being traversed, computed once per file when first asked.
pub struct FileScope<'t> {
    root: Node<'t>,
    source: &'t str,
    /// Top-level `const name = value` of the file, by name (the first declaration wins).
    constants: std::cell::OnceCell<std::collections::HashMap<&'t str, Node<'t>>>,
}

impl<'t> FileScope<'t> {
    pub(crate) fn new(root: Node<'t>, source: &'t str) -> Self {
        FileScope {
            root,
            source,
            constants: std::cell::OnceCell::new(),
        }
    }

    fn constants(&self) -> &std::collections::HashMap<&'t str, Node<'t>> {
        self.constants.get_or_init(|| {
            let mut constants = std::collections::HashMap::new();
            for statement in nestlint_syntax::named_children(self.root) {
                let declaration = match statement.kind_name() {
                    "export_statement" => statement.field(nestlint_syntax::Field::Declaration),
                    "lexical_declaration" => Some(statement),
                    _ => None,
                };
                let Some(declaration) = declaration.filter(|d| {
                    d.kind_name() == "lexical_declaration"
                        && nestlint_syntax::text(*d, self.source).starts_with("const")
                }) else {
                    continue;
                };
                for declarator in nestlint_syntax::named_children(declaration) {
                    let name = declarator.field(nestlint_syntax::Field::Name);
                    let value = declarator.field(nestlint_syntax::Field::Value);
                    if let (Some(name), Some(value)) = (name, value) {
                        constants
                            .entry(nestlint_syntax::text(name, self.source))
                            .or_insert(nestlint_syntax::unwrap_expression(value));
                    }
                }
            }
            constants
        })
    }
}

impl<'a, 't> FileContext<'a, 't> {
    /// A class's decorators, those written before `export` included, in source order, at no
    /// walk up the tree ([`ClassView::decorators`] costs one per class: quadratic over classes
    /// nested in methods).
    pub fn class_decorators(&self, class: &nestlint_syntax::nest::ClassView<'t>) -> Vec<Node<'t>> {
        let export = self
            .export_statement
            .filter(|e| e.field(Field::Declaration) == Some(class.node));
        class.decorators_with(export)
    }

    /// The file's root node.
    pub fn root(&self) -> Node<'t> {
        self.scope.root
    }

    /// The initializer of the file's top-level `const name = ...` (exported or not), unwrapped
    /// of parentheses and assertions.
    /// The name a call is made by (`f` of `f()`, `g` of `a.b.g()`), computed once per call for
    /// every rule dispatched to it.
    pub fn call_name(&self, call: Node<'_>) -> Option<&'a str> {
        let (id, range) = self
            .memo
            .call_name
            .get_or_init(|| (call.id(), nestlint_syntax::call_name_range(call)));
        let range = if *id == call.id() {
            range.clone()
        } else {
            nestlint_syntax::call_name_range(call)
        };
        range.and_then(|r| self.source.get(r))
    }

    pub fn top_level_const(&self, name: &str) -> Option<Node<'t>> {
        self.scope.constants().get(name).copied()
    }

    /// Reports a diagnostic of the current rule; chain `.help(..)`/`.note(..)` on the result.
    pub fn report(&mut self, range: TextRange, message: impl Into<String>) -> &mut Diagnostic {
        self.diagnostics
            .push(new_diagnostic(self.rule, self.path.clone(), range, message));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }

    /// This rule's options for the file, when the configuration sets any.
    pub fn options<T: Any>(&self) -> Option<&T> {
        self.options.and_then(|o| o.downcast_ref::<T>())
    }

    /// Hands `value` to the rule's project half ([`ProjectIndex::stashed`]), encoded so that it
    /// is cached with the file's facts.
    pub fn stash<T: serde::Serialize>(&mut self, value: T) {
        if let Ok(bytes) = postcard::to_allocvec(&value) {
            self.stash.push((self.rule.id, bytes.into()));
        }
    }

    /// How many values this rule has stashed for the file so far. Nodes are visited in text
    /// order, so this is the ordinal of the next value: a stash that names "the third
    /// `new ValidationPipe`" survives edits that move text, where an offset would not.
    pub fn stashed_so_far(&self) -> usize {
        self.stash
            .iter()
            .filter(|(rule, _)| *rule == self.rule.id)
            .count()
    }

    pub fn path(&self) -> &Path {
        self.path
    }
}

/// What a rule sees in the project pass.
pub struct ProjectContext<'a> {
    pub(crate) rule: &'static RuleMeta,
    pub(crate) rule_index: usize,
    /// Per file (by id): its settings.
    pub(crate) settings: &'a [Arc<crate::config::FileSettings>],
    /// The texts of the files being linted, for building fixes.
    pub(crate) sources: &'a crate::sources::Sources,
    pub(crate) diagnostics: &'a mut Vec<Diagnostic>,
    /// The trees of the files fixes were last built in, most recent last: a rule building many
    /// fixes in one file parses it once, not once per fix (which was quadratic in the file).
    pub(crate) edit_trees: std::cell::RefCell<Vec<(FileId, nestlint_syntax::Tree)>>,
    /// Per file fixes were built in, what adding an import needs to know of it.
    pub(crate) import_sites: std::cell::RefCell<
        std::collections::HashMap<FileId, std::rc::Rc<crate::edits::ImportSite>>,
    >,
}

/// How many files' trees [`ProjectContext::tree_for_edit`] keeps: a fix may edit the reported
/// file and the module that registers it, in turn.
const EDIT_TREES: usize = 4;

impl<'a> ProjectContext<'a> {
    /// This rule's options for `file`, when the configuration sets any.
    pub fn options<T: Any>(&self, file: FileId) -> Option<&T> {
        self.settings
            .get(file)
            .and_then(|s| s.options[self.rule_index].as_ref())
            .and_then(|o| o.downcast_ref::<T>())
    }

    /// The text of `file` when it is one the user asked to lint (fixes edit no other file).
    pub fn source(&self, index: &ProjectIndex, file: FileId) -> Option<&str> {
        self.sources
            .get(&index.file(file).path)
            .map(|text| text.as_ref())
    }

    /// The tree of `file` as [`ProjectContext::source`] holds it, for building fixes (a
    /// byte-order mark is blanked, offsets kept). Parsed once while the rule keeps building fixes
    /// in the same few files.
    pub fn tree_for_edit(
        &self,
        index: &ProjectIndex,
        file: FileId,
    ) -> Option<nestlint_syntax::Tree> {
        let mut trees = self.edit_trees.borrow_mut();
        if let Some(position) = trees.iter().position(|(id, _)| *id == file) {
            let entry = trees.remove(position);
            let tree = entry.1.clone();
            trees.push(entry);
            return Some(tree);
        }
        let source = self.source(index, file)?;
        let tree = crate::edits::parse_for_edit(&index.file(file).path, source)?;
        if trees.len() == EDIT_TREES {
            trees.remove(0);
        }
        trees.push((file, tree.clone()));
        Some(tree)
    }

    /// What adding an import to `file` needs to know of it, read once per file.
    pub fn import_site(
        &self,
        index: &ProjectIndex,
        file: FileId,
    ) -> Option<std::rc::Rc<crate::edits::ImportSite>> {
        if let Some(site) = self.import_sites.borrow().get(&file) {
            return Some(site.clone());
        }
        let source = self.source(index, file)?;
        let tree = self.tree_for_edit(index, file)?;
        let site = std::rc::Rc::new(crate::edits::ImportSite::read(tree.root_node(), source));
        self.import_sites.borrow_mut().insert(file, site.clone());
        Some(site)
    }

    pub fn report(
        &mut self,
        index: &ProjectIndex,
        file: FileId,
        range: TextRange,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        let path = index.file(file).path.clone();
        self.diagnostics
            .push(new_diagnostic(self.rule, path, range, message));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }
}

impl ProjectContext<'_> {
    /// Reports a finding in a file the project pass did not lint: a configuration file (a
    /// `tsconfig.json`) that compiles linted files. It is shown at the level the settings of the
    /// first linted file it compiles set, and takes no suppression comment.
    pub fn report_in_config(
        &mut self,
        path: Arc<PathBuf>,
        range: TextRange,
        message: impl Into<String>,
    ) -> &mut Diagnostic {
        self.diagnostics
            .push(new_diagnostic(self.rule, path, range, message));
        let last = self.diagnostics.len() - 1;
        &mut self.diagnostics[last]
    }
}

fn new_diagnostic(
    rule: &'static RuleMeta,
    path: Arc<PathBuf>,
    range: TextRange,
    message: impl Into<String>,
) -> Diagnostic {
    Diagnostic {
        rule: rule.id,
        severity: rule.default_severity,
        path,
        range,
        message: message.into(),
        note: None,
        help: None,
        labels: Vec::new(),
        fix: None,
    }
}

/// Builder-style setters on a reported diagnostic.
pub trait DiagnosticExt {
    fn help(&mut self, help: impl Into<String>) -> &mut Self;
    fn note(&mut self, note: impl Into<String>) -> &mut Self;
    /// Attaches a fix when the rule could build one (`None` leaves the diagnostic without).
    fn fix(&mut self, fix: Option<Fix>) -> &mut Self;
    fn label(
        &mut self,
        path: Arc<PathBuf>,
        range: TextRange,
        message: impl Into<String>,
    ) -> &mut Self;
}

impl DiagnosticExt for Diagnostic {
    fn help(&mut self, help: impl Into<String>) -> &mut Self {
        self.help = Some(help.into());
        self
    }

    fn note(&mut self, note: impl Into<String>) -> &mut Self {
        self.note = Some(note.into());
        self
    }

    fn fix(&mut self, fix: Option<Fix>) -> &mut Self {
        self.fix = fix;
        self
    }

    fn label(
        &mut self,
        path: Arc<PathBuf>,
        range: TextRange,
        message: impl Into<String>,
    ) -> &mut Self {
        self.labels.push(nestlint_diagnostics::Label {
            path,
            range,
            message: message.into(),
        });
        self
    }
}
