//! `nestlint.toml`: discovery, `extends`, rule levels and options, `[[overrides]]`, include and
//! exclude globs, and the command line's rule selection on top.
//!
//! Precedence, lowest first: each rule's default level; then every config layer from the
//! outermost (a config's `extends` before the config itself, a parent directory's config before a
//! nested one) applying its `[categories]` then its `[rules]`; then the `[[overrides]]` matching
//! the file, in the same layer order; then `--select`, `--ignore`, `--warn`, `--deny`.

use std::collections::{BTreeMap, HashMap};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use globset::{GlobBuilder, GlobSet, GlobSetBuilder};
use nestlint_diagnostics::{Applicability, Severity, TextRange};
use serde::Deserialize;
use toml::Spanned;

use crate::rule::{Category, Rule, RuleOptions};

pub const CONFIG_FILE_NAME: &str = "nestlint.toml";

#[derive(Clone, Copy, Debug, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Level {
    Off,
    Warn,
    Error,
}

impl Level {
    pub fn severity(self) -> Option<Severity> {
        match self {
            Level::Off => None,
            Level::Warn => Some(Severity::Warning),
            Level::Error => Some(Severity::Error),
        }
    }

    fn parse(text: &str) -> Option<Level> {
        match text {
            "off" => Some(Level::Off),
            "warn" => Some(Level::Warn),
            "error" => Some(Level::Error),
            _ => None,
        }
    }
}

/// A rule's `fix` setting: how far its fixes are trusted, whatever the rule says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FixSetting {
    /// Applied by `--fix` (display-only fixes stay display-only).
    Safe,
    /// Applied only with `--unsafe-fixes`.
    Unsafe,
    /// Never offered.
    None,
}

impl FixSetting {
    fn parse(text: &str) -> Option<FixSetting> {
        match text {
            "safe" => Some(FixSetting::Safe),
            "unsafe" => Some(FixSetting::Unsafe),
            "none" => Some(FixSetting::None),
            _ => None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            FixSetting::Safe => "safe",
            FixSetting::Unsafe => "unsafe",
            FixSetting::None => "none",
        }
    }

    /// The applicability a fix of the rule has under this setting; `None` drops the fix.
    pub fn apply(
        setting: Option<FixSetting>,
        applicability: Applicability,
    ) -> Option<Applicability> {
        match (setting, applicability) {
            (Some(FixSetting::None), _) => None,
            (_, Applicability::DisplayOnly) => Some(Applicability::DisplayOnly),
            (Some(FixSetting::Safe), _) => Some(Applicability::Safe),
            (Some(FixSetting::Unsafe), _) => Some(Applicability::Unsafe),
            (None, applicability) => Some(applicability),
        }
    }
}

fn level_name(severity: Option<Severity>) -> &'static str {
    match severity {
        None => "off",
        Some(Severity::Warning) => "warn",
        Some(Severity::Error) => "error",
    }
}

/// A configuration mistake, with where it is in which file.
#[derive(Debug)]
pub struct ConfigError {
    pub path: PathBuf,
    /// The file's text, when it could be read (for the excerpt).
    pub source: Option<String>,
    pub range: Option<TextRange>,
    pub message: String,
    pub help: Option<String>,
}

impl ConfigError {
    fn at(path: &Path, source: &str, span: Option<Range<usize>>, message: String) -> Self {
        ConfigError {
            path: path.to_path_buf(),
            source: Some(source.to_owned()),
            range: span.map(|s| TextRange::new(s.start, s.end)),
            message,
            help: None,
        }
    }

    fn with_help(mut self, help: Option<String>) -> Self {
        self.help = help;
        self
    }

    fn file(path: &Path, message: String) -> Self {
        ConfigError {
            path: path.to_path_buf(),
            source: None,
            range: None,
            message,
            help: None,
        }
    }
}

/// `Some("did you mean `x`?")` for the closest candidate, when one is close enough.
pub fn did_you_mean<'a>(
    name: &str,
    candidates: impl IntoIterator<Item = &'a str>,
) -> Option<String> {
    closest(name, candidates).map(|c| format!("did you mean `{c}`?"))
}

/// The candidate most like `name`, when one is close enough to be what was meant.
pub fn closest<'a>(name: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .into_iter()
        .map(|c| (strsim::jaro_winkler(name, c), c))
        .filter(|(score, _)| *score > 0.8)
        .max_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, c)| c)
}

// ---- The file format ----

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawConfig {
    #[serde(default)]
    root: bool,
    #[serde(default)]
    extends: Vec<Spanned<String>>,
    include: Option<Vec<Spanned<String>>>,
    exclude: Option<Vec<Spanned<String>>>,
    #[serde(default)]
    categories: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    #[serde(default)]
    overrides: Vec<RawOverride>,
    suppressions: Option<RawSuppressions>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawOverride {
    files: Vec<Spanned<String>>,
    #[serde(default)]
    exclude: Vec<Spanned<String>>,
    #[serde(default)]
    categories: BTreeMap<Spanned<String>, Spanned<String>>,
    #[serde(default)]
    rules: BTreeMap<Spanned<String>, Spanned<toml::Value>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSuppressions {
    require_reason: Option<bool>,
}

const TOP_LEVEL_KEYS: &[&str] = &[
    "root",
    "extends",
    "include",
    "exclude",
    "categories",
    "rules",
    "overrides",
    "suppressions",
];

// ---- Loaded layers ----

/// Globs relative to a directory. A pattern without `/` matches a file name at any depth
/// (`*.spec.ts`); one with `/` is anchored at the directory (`src/migrations/**`); a pattern
/// naming a directory also matches everything below it.
#[derive(Clone, Debug)]
pub struct Globs {
    base: PathBuf,
    set: GlobSet,
}

impl Globs {
    fn new(
        base: &Path,
        patterns: &[Spanned<String>],
        path: &Path,
        source: &str,
    ) -> Result<Globs, ConfigError> {
        let mut builder = GlobSetBuilder::new();
        for pattern in patterns {
            let text = pattern.get_ref().trim_start_matches("./");
            let anchored = text.trim_start_matches('/');
            let full = if text.contains('/') {
                anchored.trim_end_matches('/').to_owned()
            } else {
                format!("**/{text}")
            };
            for variant in [full.clone(), format!("{full}/**")] {
                let glob = GlobBuilder::new(&variant)
                    .literal_separator(true)
                    .build()
                    .map_err(|e| {
                        ConfigError::at(
                            path,
                            source,
                            Some(pattern.span()),
                            format!("invalid glob `{}`: {}", pattern.get_ref(), e.kind()),
                        )
                    })?;
                builder.add(glob);
            }
        }
        let set = builder
            .build()
            .map_err(|e| ConfigError::at(path, source, None, format!("invalid globs: {e}")))?;
        Ok(Globs {
            base: base.to_path_buf(),
            set,
        })
    }

    pub fn is_match(&self, file: &Path) -> bool {
        file.strip_prefix(&self.base)
            .is_ok_and(|relative| self.set.is_match(relative))
    }
}

#[derive(Clone, Debug)]
struct RuleSetting {
    rule: usize,
    level: Option<Level>,
    fix: Option<FixSetting>,
    options: Option<(RuleOptions, toml::Table)>,
}

#[derive(Clone, Debug, Default)]
struct Settings {
    categories: Vec<(Category, Level)>,
    rules: Vec<RuleSetting>,
}

#[derive(Clone, Debug)]
struct Override {
    files: Globs,
    exclude: Option<Globs>,
    settings: Settings,
}

/// One config file's own contribution (its `extends` are layers of their own, before it).
#[derive(Clone, Debug)]
struct Layer {
    path: PathBuf,
    include: Option<Globs>,
    exclude: Option<Globs>,
    settings: Settings,
    overrides: Vec<Override>,
    require_reason: Option<bool>,
}

// ---- Command-line selection ----

/// `--select`, `--ignore`, `--warn`, `--deny`: rule ids or category names.
#[derive(Clone, Debug, Default)]
pub struct CliSelection {
    pub select: Vec<String>,
    pub ignore: Vec<String>,
    pub warn: Vec<String>,
    pub deny: Vec<String>,
}

/// What a selector names: a category, a rule, or everything.
#[derive(Clone, Copy, Debug)]
enum Selector {
    All,
    Category(Category),
    Rule(usize),
}

/// How configuration is found.
#[derive(Clone, Debug, Default)]
pub enum ConfigSource {
    /// The nearest `nestlint.toml` above each file, and the ones above it up to `root = true`.
    #[default]
    Discover,
    /// `--config PATH`: this file (and its `extends`) for every file.
    File(PathBuf),
    /// `--no-config`: defaults only.
    None,
}

/// The effective settings for one file.
#[derive(Clone, Debug)]
pub struct FileSettings {
    /// Per rule (registry order): its severity, or `None` when off.
    pub levels: Vec<Option<Severity>>,
    pub options: Vec<Option<RuleOptions>>,
    raw_options: Vec<Option<toml::Table>>,
    /// Per rule: its `fix` setting, when the configuration has one.
    pub fixes: Vec<Option<FixSetting>>,
    pub require_reason: bool,
    /// The config files that contributed, outermost first.
    pub sources: Vec<PathBuf>,
    /// What the per-file pass depends on in these settings (which rules run, with which
    /// options), hashed: part of a file's key in the cache.
    pub file_pass_key: u64,
}

impl FileSettings {
    fn file_pass_key(levels: &[Option<Severity>], raw_options: &[Option<toml::Table>]) -> u64 {
        let mut text = String::new();
        for (level, options) in levels.iter().zip(raw_options) {
            text.push(if level.is_some() { '1' } else { '0' });
            if let Some(options) = options {
                text.push_str(&options.to_string());
            }
            text.push('\u{0}');
        }
        xxhash_rust::xxh3::xxh3_64(text.as_bytes())
    }
}

/// Loads config files once and answers, per file, whether it is linted and with which settings.
pub struct ConfigResolver<'r> {
    rules: &'r [Box<dyn Rule>],
    source: ConfigSource,
    selectors: Vec<(CliAction, Selector)>,
    /// Loaded files, by canonical path: its layers (extends first) and whether it is `root`.
    loaded: HashMap<PathBuf, (Vec<Arc<Layer>>, bool)>,
    /// Per directory: the layer chain that applies to files in it.
    chains: HashMap<PathBuf, Arc<Vec<Arc<Layer>>>>,
    /// The last directory asked about and its chain.
    last_chain: Option<(PathBuf, Arc<Vec<Arc<Layer>>>)>,
    /// Interned settings: chain identity plus the overrides that matched.
    interned: HashMap<(usize, Vec<usize>), Arc<FileSettings>>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum CliAction {
    Select,
    Ignore,
    Warn,
    Deny,
}

impl CliAction {
    fn flag(self) -> &'static str {
        match self {
            CliAction::Select => "select",
            CliAction::Ignore => "ignore",
            CliAction::Warn => "warn",
            CliAction::Deny => "deny",
        }
    }
}

impl<'r> ConfigResolver<'r> {
    pub fn new(
        rules: &'r [Box<dyn Rule>],
        source: ConfigSource,
        cli: &CliSelection,
    ) -> Result<Self, ConfigError> {
        let mut selectors = Vec::new();
        for (action, names) in [
            (CliAction::Select, &cli.select),
            (CliAction::Ignore, &cli.ignore),
            (CliAction::Warn, &cli.warn),
            (CliAction::Deny, &cli.deny),
        ] {
            for name in names {
                let selector = parse_selector(rules, name).ok_or_else(|| {
                    let candidates = rules
                        .iter()
                        .map(|r| r.meta().id)
                        .chain(Category::ALL.iter().map(|c| c.as_str()));
                    ConfigError {
                        path: PathBuf::from("<command line>"),
                        source: None,
                        range: None,
                        message: format!("unknown rule or category `{name}`"),
                        help: did_you_mean(name, candidates),
                    }
                })?;
                // Selecting a category with no rule would silently run less than asked.
                if let (Selector::Category(category), false) =
                    (selector, action == CliAction::Ignore)
                {
                    if !rules.iter().any(|r| r.meta().category == category) {
                        let populated: Vec<&str> = Category::ALL
                            .iter()
                            .filter(|c| rules.iter().any(|r| r.meta().category == **c))
                            .map(|c| c.as_str())
                            .collect();
                        return Err(ConfigError {
                            path: PathBuf::from("<command line>"),
                            source: None,
                            range: None,
                            message: format!(
                                "the category `{name}` has no rules yet, so `--{}` names nothing",
                                action.flag()
                            ),
                            help: Some(format!("categories with rules: {}", populated.join(", "))),
                        });
                    }
                }
                selectors.push((action, selector));
            }
        }
        let mut resolver = ConfigResolver {
            rules,
            source,
            selectors,
            loaded: HashMap::new(),
            chains: HashMap::new(),
            last_chain: None,
            interned: HashMap::new(),
        };
        if let ConfigSource::File(path) = &resolver.source {
            let path = path.clone();
            match crate::files::regular_file(&path) {
                Ok(_) => {}
                Err(crate::files::ReadError::Missing) => {
                    return Err(ConfigError::file(
                        &path,
                        "the configuration file does not exist".to_owned(),
                    ));
                }
                Err(err) => {
                    return Err(ConfigError::file(
                        &path,
                        format!("cannot read the configuration: {err}"),
                    ));
                }
            }
            resolver.load(&path, &mut Vec::new())?;
        }
        Ok(resolver)
    }

    /// The configuration files read so far (with what they extend).
    pub fn loaded_files(&self) -> impl Iterator<Item = &Path> {
        self.loaded.keys().map(PathBuf::as_path)
    }

    /// The settings for `file`, and whether its config's include/exclude globs let it be linted.
    pub fn settings_for(&mut self, file: &Path) -> Result<(Arc<FileSettings>, bool), ConfigError> {
        let dir = file.parent().unwrap_or(Path::new(""));
        // Files come in path order: most share the previous one's directory (no hashing).
        let chain = match &self.last_chain {
            Some((last, chain)) if last.as_os_str() == dir.as_os_str() => chain.clone(),
            _ => {
                let chain = self.chain_for(dir)?;
                self.last_chain = Some((dir.to_path_buf(), chain.clone()));
                chain
            }
        };
        let chain_id = Arc::as_ptr(&chain) as usize;
        let mut matched = Vec::new();
        let mut counter = 0;
        let mut included = true;
        for layer in chain.iter() {
            if let Some(include) = &layer.include {
                included = include.is_match(file);
            }
            if let Some(exclude) = &layer.exclude {
                if exclude.is_match(file) {
                    included = false;
                }
            }
            for o in &layer.overrides {
                if o.files.is_match(file) && !o.exclude.as_ref().is_some_and(|e| e.is_match(file)) {
                    matched.push(counter);
                }
                counter += 1;
            }
        }
        let key = (chain_id, matched);
        if let Some(settings) = self.interned.get(&key) {
            return Ok((settings.clone(), included));
        }
        let settings = Arc::new(self.compute(&chain, &key.1));
        self.interned.insert(key, settings.clone());
        Ok((settings, included))
    }

    fn compute(&self, chain: &[Arc<Layer>], matched: &[usize]) -> FileSettings {
        let mut levels: Vec<Option<Severity>> = self
            .rules
            .iter()
            .map(|r| {
                let meta = r.meta();
                meta.enabled_by_default.then_some(meta.default_severity)
            })
            .collect();
        let mut options: Vec<Option<RuleOptions>> = vec![None; self.rules.len()];
        let mut raw_options: Vec<Option<toml::Table>> = vec![None; self.rules.len()];
        let mut fixes: Vec<Option<FixSetting>> = vec![None; self.rules.len()];
        let mut require_reason = false;
        let apply = |settings: &Settings,
                     levels: &mut Vec<Option<Severity>>,
                     options: &mut Vec<Option<RuleOptions>>,
                     raw: &mut Vec<Option<toml::Table>>,
                     fixes: &mut Vec<Option<FixSetting>>| {
            for (category, level) in &settings.categories {
                for (i, rule) in self.rules.iter().enumerate() {
                    if rule.meta().category == *category {
                        levels[i] = level.severity();
                    }
                }
            }
            for setting in &settings.rules {
                if let Some(level) = setting.level {
                    levels[setting.rule] = level.severity();
                }
                if let Some(fix) = setting.fix {
                    fixes[setting.rule] = Some(fix);
                }
                if let Some((parsed, table)) = &setting.options {
                    options[setting.rule] = Some(parsed.clone());
                    raw[setting.rule] = Some(table.clone());
                }
            }
        };
        for layer in chain {
            apply(
                &layer.settings,
                &mut levels,
                &mut options,
                &mut raw_options,
                &mut fixes,
            );
            if let Some(r) = layer.require_reason {
                require_reason = r;
            }
        }
        let mut counter = 0;
        for layer in chain {
            for o in &layer.overrides {
                if matched.contains(&counter) {
                    apply(
                        &o.settings,
                        &mut levels,
                        &mut options,
                        &mut raw_options,
                        &mut fixes,
                    );
                }
                counter += 1;
            }
        }
        let selected: Vec<Selector> = self
            .selectors
            .iter()
            .filter(|(a, _)| *a == CliAction::Select)
            .map(|&(_, s)| s)
            .collect();
        if !selected.is_empty() {
            for (i, rule) in self.rules.iter().enumerate() {
                if selected.iter().any(|s| self.selects(*s, i)) {
                    // Selecting a rule the config turned off turns it back on at its default.
                    levels[i] = levels[i].or(Some(rule.meta().default_severity));
                } else {
                    levels[i] = None;
                }
            }
        }
        for action in [CliAction::Ignore, CliAction::Warn, CliAction::Deny] {
            for &(a, selector) in &self.selectors {
                if a != action {
                    continue;
                }
                for (i, level) in levels.iter_mut().enumerate() {
                    if self.selects(selector, i) {
                        *level = match action {
                            CliAction::Ignore => None,
                            CliAction::Warn => Some(Severity::Warning),
                            _ => Some(Severity::Error),
                        };
                    }
                }
            }
        }
        let file_pass_key = FileSettings::file_pass_key(&levels, &raw_options);
        FileSettings {
            levels,
            options,
            raw_options,
            fixes,
            require_reason,
            sources: chain.iter().map(|l| l.path.clone()).collect(),
            file_pass_key,
        }
    }

    fn selects(&self, selector: Selector, rule: usize) -> bool {
        match selector {
            Selector::All => true,
            Selector::Category(c) => self.rules[rule].meta().category == c,
            Selector::Rule(r) => r == rule,
        }
    }

    fn chain_for(&mut self, dir: &Path) -> Result<Arc<Vec<Arc<Layer>>>, ConfigError> {
        if let Some(chain) = self.chains.get(dir) {
            return Ok(chain.clone());
        }
        let chain = match self.source.clone() {
            ConfigSource::None => Arc::new(Vec::new()),
            ConfigSource::File(path) => Arc::new(self.load(&path, &mut Vec::new())?.0),
            // A directory's chain is its parent's plus its own file, unless that file is
            // `root`: each directory is looked at once (a monorepo has thousands), and those
            // without a file share their parent's chain.
            ConfigSource::Discover => {
                let candidate = dir.join(CONFIG_FILE_NAME);
                let own = if candidate.is_file() {
                    Some(self.load(&candidate, &mut Vec::new())?)
                } else {
                    None
                };
                let parent = match (&own, dir.parent()) {
                    (Some((_, true)), _) | (_, None) => None,
                    (_, Some(parent)) => Some(self.chain_for(parent)?),
                };
                match (own, parent) {
                    (None, Some(parent)) => parent,
                    (None, None) => Arc::new(Vec::new()),
                    (Some((layers, _)), parent) => {
                        let mut chain: Vec<Arc<Layer>> =
                            parent.map(|p| p.as_ref().clone()).unwrap_or_default();
                        chain.extend(layers);
                        Arc::new(chain)
                    }
                }
            }
        };
        self.chains.insert(dir.to_path_buf(), chain.clone());
        Ok(chain)
    }

    /// Loads `path` and its `extends`, returning its layers (extends first) and `root`.
    fn load(
        &mut self,
        path: &Path,
        stack: &mut Vec<PathBuf>,
    ) -> Result<(Vec<Arc<Layer>>, bool), ConfigError> {
        let canonical = path.canonicalize().unwrap_or_else(|_| path.to_path_buf());
        if let Some(loaded) = self.loaded.get(&canonical) {
            return Ok(loaded.clone());
        }
        if stack.contains(&canonical) {
            return Err(ConfigError::file(
                path,
                format!(
                    "`extends` forms a cycle: {}",
                    stack
                        .iter()
                        .chain([&canonical])
                        .map(|p| p.display().to_string())
                        .collect::<Vec<_>>()
                        .join(" -> ")
                ),
            ));
        }
        let text = crate::files::read_text(path, crate::files::MAX_FILE_BYTES)
            .map_err(|e| ConfigError::file(path, format!("cannot read the configuration: {e}")))?;
        let raw: RawConfig = toml::from_str(&text).map_err(|e| toml_error(path, &text, &e))?;
        let base = path.parent().unwrap_or(Path::new("")).to_path_buf();
        stack.push(canonical.clone());
        let mut layers = Vec::new();
        for extended in &raw.extends {
            let target = base.join(extended.get_ref());
            if !target.is_file() {
                stack.pop();
                return Err(ConfigError::at(
                    path,
                    &text,
                    Some(extended.span()),
                    format!(
                        "`extends` names `{}`, which does not exist",
                        extended.get_ref()
                    ),
                ));
            }
            match self.load(&target, stack) {
                Ok((extended_layers, _)) => layers.extend(extended_layers),
                Err(err) => {
                    stack.pop();
                    return Err(err);
                }
            }
        }
        stack.pop();
        let settings = self.settings(path, &text, &raw.categories, &raw.rules)?;
        let mut overrides = Vec::new();
        for o in &raw.overrides {
            overrides.push(Override {
                files: Globs::new(&base, &o.files, path, &text)?,
                exclude: if o.exclude.is_empty() {
                    None
                } else {
                    Some(Globs::new(&base, &o.exclude, path, &text)?)
                },
                settings: self.settings(path, &text, &o.categories, &o.rules)?,
            });
        }
        layers.push(Arc::new(Layer {
            path: path.to_path_buf(),
            include: raw
                .include
                .as_ref()
                .map(|p| Globs::new(&base, p, path, &text))
                .transpose()?,
            exclude: raw
                .exclude
                .as_ref()
                .map(|p| Globs::new(&base, p, path, &text))
                .transpose()?,
            settings,
            overrides,
            require_reason: raw.suppressions.and_then(|s| s.require_reason),
        }));
        let result = (layers, raw.root);
        self.loaded.insert(canonical, result.clone());
        Ok(result)
    }

    fn settings(
        &self,
        path: &Path,
        text: &str,
        categories: &BTreeMap<Spanned<String>, Spanned<String>>,
        rules: &BTreeMap<Spanned<String>, Spanned<toml::Value>>,
    ) -> Result<Settings, ConfigError> {
        let mut settings = Settings::default();
        for (name, level) in categories {
            let category = Category::parse(name.get_ref()).ok_or_else(|| {
                ConfigError::at(
                    path,
                    text,
                    Some(name.span()),
                    format!("unknown category `{}`", name.get_ref()),
                )
                .with_help(did_you_mean(
                    name.get_ref(),
                    Category::ALL.iter().map(|c| c.as_str()),
                ))
            })?;
            settings
                .categories
                .push((category, parse_level(path, text, level)?));
        }
        for (name, value) in rules {
            let rule = rule_position(self.rules, name.get_ref()).ok_or_else(|| {
                ConfigError::at(
                    path,
                    text,
                    Some(name.span()),
                    format!("unknown rule `{}`", name.get_ref()),
                )
                .with_help(did_you_mean(
                    name.get_ref(),
                    self.rules.iter().map(|r| r.meta().id),
                ))
            })?;
            let setting = match value.get_ref() {
                toml::Value::String(level) => RuleSetting {
                    rule,
                    level: Some(Level::parse(level).ok_or_else(|| bad_level(path, text, value.span(), level))?),
                    fix: None,
                    options: None,
                },
                toml::Value::Table(table) => {
                    let mut table = table.clone();
                    let level = match table.remove("level") {
                        None => None,
                        Some(toml::Value::String(level)) => Some(
                            Level::parse(&level)
                                .ok_or_else(|| bad_level(path, text, value.span(), &level))?,
                        ),
                        Some(_) => {
                            return Err(ConfigError::at(
                                path,
                                text,
                                Some(value.span()),
                                "`level` must be \"off\", \"warn\" or \"error\"".to_owned(),
                            ))
                        }
                    };
                    let fix = match table.remove("fix") {
                        None => None,
                        Some(toml::Value::String(fix)) if FixSetting::parse(&fix).is_some() => {
                            FixSetting::parse(&fix)
                        }
                        Some(other) => {
                            let shown = other.as_str().unwrap_or_default().to_owned();
                            return Err(ConfigError::at(
                                path,
                                text,
                                Some(value.span()),
                                format!(
                                    "invalid `fix` for `{}`: use \"safe\", \"unsafe\" or \"none\"",
                                    name.get_ref()
                                ),
                            )
                            .with_help(did_you_mean(&shown, ["safe", "unsafe", "none"])));
                        }
                    };
                    let options = if table.is_empty() {
                        None
                    } else {
                        let parsed = self.rules[rule].parse_options(&table).map_err(|message| {
                            let help = unknown_field(&message).and_then(|(field, expected)| {
                                did_you_mean(&field, expected.iter().map(String::as_str))
                            });
                            ConfigError::at(
                                path,
                                text,
                                Some(value.span()),
                                format!("invalid options for `{}`: {message}", name.get_ref()),
                            )
                            .with_help(help)
                        })?;
                        Some((parsed, table))
                    };
                    RuleSetting {
                        rule,
                        level,
                        fix,
                        options,
                    }
                }
                _ => {
                    return Err(ConfigError::at(
                        path,
                        text,
                        Some(value.span()),
                        format!(
                            "`{}` must be a level (\"off\", \"warn\", \"error\") or a table with `level` and options",
                            name.get_ref()
                        ),
                    ))
                }
            };
            settings.rules.push(setting);
        }
        Ok(settings)
    }

    /// The effective settings of `file` as TOML, with where they came from.
    pub fn print_config(&mut self, file: &Path) -> Result<String, ConfigError> {
        let (settings, included) = self.settings_for(file)?;
        let mut out = String::new();
        out.push_str(&format!("# effective settings for {}\n", file.display()));
        if settings.sources.is_empty() {
            out.push_str("# no configuration file: defaults\n");
        } else {
            out.push_str("# from (outermost first):\n");
            for source in &settings.sources {
                out.push_str(&format!("#   {}\n", source.display()));
            }
        }
        out.push_str(&format!(
            "linted = {included}\n\n[suppressions]\nrequire-reason = {}\n\n[rules]\n",
            settings.require_reason
        ));
        let mut rows: Vec<(&str, String)> = self
            .rules
            .iter()
            .enumerate()
            .map(|(i, rule)| {
                let level = level_name(settings.levels[i]);
                let value = match (&settings.raw_options[i], settings.fixes[i]) {
                    (None, None) => format!("\"{level}\""),
                    (table, fix) => {
                        let mut table = table.clone().unwrap_or_default();
                        table.insert("level".to_owned(), toml::Value::String(level.to_owned()));
                        if let Some(fix) = fix {
                            table.insert(
                                "fix".to_owned(),
                                toml::Value::String(fix.name().to_owned()),
                            );
                        }
                        toml::Value::Table(table).to_string().trim().to_owned()
                    }
                };
                (rule.meta().id, value)
            })
            .collect();
        rows.sort();
        for (id, value) in rows {
            out.push_str(&format!("{id} = {value}\n"));
        }
        Ok(out)
    }
}

fn parse_selector(rules: &[Box<dyn Rule>], name: &str) -> Option<Selector> {
    if name == "all" {
        return Some(Selector::All);
    }
    if let Some(category) = Category::parse(name) {
        return Some(Selector::Category(category));
    }
    rule_position(rules, name).map(Selector::Rule)
}

/// The registry index of the rule `id`.
fn rule_position(rules: &[Box<dyn Rule>], id: &str) -> Option<usize> {
    rules.iter().position(|r| r.meta().id == id)
}

fn parse_level(path: &Path, text: &str, level: &Spanned<String>) -> Result<Level, ConfigError> {
    Level::parse(level.get_ref())
        .ok_or_else(|| bad_level(path, text, level.span(), level.get_ref()))
}

fn bad_level(path: &Path, text: &str, span: Range<usize>, level: &str) -> ConfigError {
    ConfigError::at(
        path,
        text,
        Some(span),
        format!("unknown level `{level}`: use \"off\", \"warn\" or \"error\""),
    )
    .with_help(did_you_mean(level, ["off", "warn", "error"]))
}

/// Reads serde's "unknown field `x`, expected one of `a`, `b`" into the field and the candidates.
fn unknown_field(message: &str) -> Option<(String, Vec<String>)> {
    let rest = message.split("unknown field `").nth(1)?;
    let (field, rest) = rest.split_once('`')?;
    let expected = rest
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    Some((field.to_owned(), expected))
}

fn toml_error(path: &Path, text: &str, error: &toml::de::Error) -> ConfigError {
    let message = error.message().trim().to_owned();
    let help = unknown_field(&message).and_then(|(field, expected)| {
        let candidates: Vec<String> = if expected.is_empty() {
            TOP_LEVEL_KEYS.iter().map(|k| (*k).to_owned()).collect()
        } else {
            expected
        };
        did_you_mean(&field, candidates.iter().map(String::as_str))
    });
    ConfigError::at(path, text, error.span(), message).with_help(help)
}

/// The nearest `nestlint.toml` in a directory above `dir` (not in `dir` itself).
pub fn parent_config(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .skip(1)
        .map(|ancestor| ancestor.join(CONFIG_FILE_NAME))
        .find(|candidate| candidate.is_file())
}

/// The starter configuration `nestlint init` writes. Under a directory that has a configuration
/// of its own (`parent`), the new file is merged on top of it rather than cutting it off.
pub fn starter_config(rules: &[Box<dyn Rule>], parent: Option<&Path>) -> String {
    let root = match parent {
        None => "# Stop looking for nestlint.toml files in parent directories.\nroot = true\n"
            .to_owned(),
        Some(parent) => format!(
            "# This file is merged on top of {} (and what that one merges).\n\
             # `root = true` would stop that and use this file alone.\n\
             # root = true\n",
            parent.display()
        ),
    };
    let mut out = String::from("# nestlint configuration. Reference: docs/configuration.md\n\n");
    out.push_str(&root);
    out.push_str(
        "\n\
         # Settings shared with other projects are merged first.\n\
         # extends = [\"../nestlint.base.toml\"]\n\
         \n\
         # What is linted when a directory is walked (globs relative to this file).\n\
         # include = [\"src/**\", \"apps/**\", \"libs/**\"]\n\
         # exclude = [\"**/generated/**\"]\n\
         \n\
         # Whole categories: \"off\", \"warn\" or \"error\".\n\
         [categories]\n",
    );
    for category in Category::ALL {
        out.push_str(&format!("# {} = \"error\"\n", category.as_str()));
    }
    out.push_str(
        "\n# Single rules, by id (`nestlint rules` lists them). Default levels shown.\n[rules]\n",
    );
    for rule in rules {
        let meta = rule.meta();
        out.push_str(&format!(
            "# {} = \"{}\"   # {}\n",
            meta.id,
            level_name(meta.enabled_by_default.then_some(meta.default_severity)),
            meta.summary
        ));
    }
    out.push_str(
        "\n[suppressions]\n\
         # Every `// nestlint-ignore...` comment must say why (`-- reason`).\n\
         # require-reason = true\n\
         \n\
         # Different settings for some paths, e.g. tests:\n\
         # [[overrides]]\n\
         # files = [\"*.spec.ts\", \"test/**\"]\n\
         # rules = { routes-guarded = \"off\" }\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_field_reads_serde_messages() {
        let (field, expected) =
            unknown_field("unknown field `rulez`, expected one of `root`, `rules`").unwrap();
        assert_eq!(field, "rulez");
        assert_eq!(expected, vec!["root", "rules"]);
    }

    #[test]
    fn did_you_mean_finds_close_names() {
        assert_eq!(
            did_you_mean(
                "routes-gaurded",
                ["routes-guarded", "no-hardcoded-jwt-secret"]
            ),
            Some("did you mean `routes-guarded`?".to_owned())
        );
        assert_eq!(did_you_mean("zzz", ["routes-guarded"]), None);
    }
}
