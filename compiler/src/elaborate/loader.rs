//! Files and imports: parse the main file and everything it imports
//! (stdlib modules by name, other files by relative path), detect import
//! cycles, and build each file's scope of group names.
//!
//! A file sees its own definitions and those of the files it imports,
//! transitively. Two different definitions of one name in a scope are an
//! error; the same definition reached along two import paths is fine.

use super::stdlib;
use crate::diagnostics::{Diagnostic, Source, Span};
use crate::parse::ast::{self, Item};
use crate::parse::parse_file;
use std::collections::HashMap;
use std::io::Read;
use std::path::{Component, Path, PathBuf};

/// Largest source file read, in bytes.
pub const MAX_SOURCE_BYTES: usize = 8 << 20;
/// Most bytes of source one program (a file and its imports) may hold.
pub const MAX_PROGRAM_BYTES: usize = 64 << 20;
/// Deepest chain of imports (a file importing a file importing …): loading
/// recurses once per import.
pub const MAX_IMPORT_DEPTH: usize = 64;

/// A definition: (file index, item index).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct DefId {
    pub file: usize,
    pub item: usize,
}

pub struct LoadedFile {
    pub source: Source,
    pub ast: ast::File,
    /// Stdlib modules are not the user's code: their calls raise no
    /// convention warnings.
    pub stdlib: bool,
    pub scope: HashMap<String, DefId>,
    /// Directory relative imports resolve against (virtual for in-memory
    /// files).
    dir: PathBuf,
}

/// Where file imports are read from.
pub enum Fs<'a> {
    Disk,
    /// In-memory files by path, for tests and embedding.
    Memory(&'a HashMap<String, String>),
}

pub struct Loader<'a> {
    fs: Fs<'a>,
    pub files: Vec<LoadedFile>,
    /// Canonical key → file index.
    by_key: HashMap<String, usize>,
    /// Keys of files whose imports are being loaded (for cycle reports).
    stack: Vec<(String, String)>,
    /// Bytes of source loaded so far.
    bytes: usize,
}

impl<'a> Loader<'a> {
    pub fn new(fs: Fs<'a>) -> Self {
        Loader {
            fs,
            files: Vec::new(),
            by_key: HashMap::new(),
            stack: Vec::new(),
            bytes: 0,
        }
    }

    /// Load the main file from text already read. `path` is where it lies
    /// (on disk, or its in-memory name): imports resolve from its directory.
    pub fn load_main(&mut self, path: &Path, source: Source) -> Result<usize, Diagnostic> {
        let key = match &self.fs {
            Fs::Disk => canonical_key(path),
            Fs::Memory(_) => normalise(path).display().to_string(),
        };
        let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
        if source.text.len() > MAX_SOURCE_BYTES {
            return Err(Diagnostic::error(
                "io::too-large",
                format!("{} is {}", source.name, ReadError::TooLarge),
            )
            .help(ReadError::TooLarge.help()));
        }
        self.load(key, source, false, dir)
    }

    /// The name a definition (group or automaton) gives.
    pub fn def_name(&self, id: DefId) -> &ast::Ident {
        def_name(&self.files[id.file].ast.items[id.item])
    }

    fn load(
        &mut self,
        key: String,
        source: Source,
        stdlib: bool,
        dir: PathBuf,
    ) -> Result<usize, Diagnostic> {
        self.bytes += source.text.len();
        let ast = parse_file(&source)?;
        self.stack.push((key.clone(), source.name.clone()));
        let idx = self.files.len();
        self.files.push(LoadedFile {
            source: source.clone(),
            ast,
            stdlib,
            scope: HashMap::new(),
            dir: dir.clone(),
        });
        self.by_key.insert(key, idx);
        let imports: Vec<ast::Import> = self.files[idx]
            .ast
            .items
            .iter()
            .filter_map(|it| match it {
                Item::Import(i) => Some(i.clone()),
                Item::Group(_) | Item::Automaton(_) => None,
            })
            .collect();
        let mut scope: HashMap<String, DefId> = HashMap::new();
        for imp in &imports {
            let dep = self.import(idx, imp)?;
            let dep_scope: Vec<(String, DefId)> = self.files[dep]
                .scope
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect();
            for (name, id) in dep_scope {
                if let Some(&prev) = scope.get(&name) {
                    if prev != id {
                        return Err(self.conflict(&name, id, prev, &source, imp.span));
                    }
                }
                scope.insert(name, id);
            }
        }
        // Groups and automata share one namespace.
        for (item, it) in self.files[idx].ast.items.iter().enumerate() {
            if matches!(it, Item::Import(_)) {
                continue;
            }
            let name = def_name(it);
            let id = DefId { file: idx, item };
            if let Some(&prev) = scope.get(&name.name) {
                return Err(self.conflict(&name.name, id, prev, &source, name.span));
            }
            scope.insert(name.name.clone(), id);
        }
        self.files[idx].scope = scope;
        self.stack.pop();
        Ok(idx)
    }

    fn conflict(&self, name: &str, new: DefId, prev: DefId, src: &Source, at: Span) -> Diagnostic {
        let prev_name = self.def_name(prev);
        let prev_file = &self.files[prev.file].source;
        let new_file = &self.files[new.file].source;
        let what = if new.file == prev.file {
            "defined twice".to_string()
        } else {
            format!(
                "defined both in {} and in {}",
                prev_file.name, new_file.name
            )
        };
        Diagnostic::error("name::duplicate", format!("`{name}` is {what}"))
            .at(src, at, format!("a second definition of `{name}`"))
            .help(format!("rename one of the two definitions of `{name}`"))
            .note(
                prev_file,
                prev_name.span,
                format!("`{name}` is first defined here"),
            )
    }

    /// Resolve and load one import of file `from`; returns the file index.
    fn import(&mut self, from: usize, imp: &ast::Import) -> Result<usize, Diagnostic> {
        let src = self.files[from].source.clone();
        let is_path =
            imp.path.ends_with(".gssm") || imp.path.contains('/') || imp.path.contains('\\');
        let (key, name, stdlib_text, dir) = if !is_path {
            let Some(text) = stdlib::module(&imp.path) else {
                let guess = super::naming::suggest(&imp.path, stdlib::names())
                    .map_or(String::new(), |m| format!("did you mean \"{m}\"? "));
                return Err(Diagnostic::error("import::unknown-module", format!("no stdlib module named \"{}\"", imp.path))
                    .at(&src, imp.path_span, "unknown module")
                    .help(format!(
                        "{guess}stdlib modules: {}; to import a file, give its path ending in .gssm, e.g. import \"{}.gssm\"",
                        stdlib::names().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", "),
                        imp.path
                    )));
            };
            (
                format!("std:{}", imp.path),
                format!("stdlib/{}.gssm", imp.path),
                Some(text),
                PathBuf::from("stdlib"),
            )
        } else {
            if self.files[from].stdlib {
                return Err(Diagnostic::error(
                    "import::stdlib-path",
                    "stdlib modules import other modules by name only",
                )
                .at(&src, imp.path_span, "a path"));
            }
            let path = self.files[from].dir.join(&imp.path);
            let key = match &self.fs {
                Fs::Disk => canonical_key(&path),
                Fs::Memory(_) => normalise(&path).display().to_string(),
            };
            let display = normalise(&path).display().to_string();
            let dir = path.parent().map(Path::to_path_buf).unwrap_or_default();
            (key, display, None, dir)
        };
        if let Some(pos) = self.stack.iter().position(|(k, _)| *k == key) {
            let mut chain: Vec<String> = self.stack[pos..].iter().map(|(_, n)| n.clone()).collect();
            chain.push(self.stack[pos].1.clone());
            return Err(Diagnostic::error("import::cycle", format!("import cycle: {}", chain.join(" → ")))
                .at(&src, imp.span, "this import closes the cycle")
                .help("files must not import each other in a circle: move the shared definitions into a file that both import"));
        }
        if let Some(&idx) = self.by_key.get(&key) {
            return Ok(idx);
        }
        if self.stack.len() >= MAX_IMPORT_DEPTH {
            return Err(Diagnostic::error(
                "import::depth",
                format!("imports nest more than {MAX_IMPORT_DEPTH} deep"),
            )
            .at(&src, imp.span, "this import is too deep")
            .help(format!("a file may import a file that imports a file … at most {MAX_IMPORT_DEPTH} levels deep: import the files at the bottom of the chain directly from a file nearer the top")));
        }
        let text = match stdlib_text {
            Some(t) => t.to_string(),
            None => self.read(&key, &name).map_err(|e| {
                let help = match &e {
                    ReadError::Io(_) => "relative paths are resolved from the importing file's directory; stdlib modules are imported by name, e.g. import \"families\"".to_string(),
                    e => e.help(),
                };
                Diagnostic::error("import::read", format!("cannot read \"{}\": {e}", imp.path))
                    .at(&src, imp.path_span, format!("looked for {name}"))
                    .help(help)
            })?,
        };
        if self.bytes + text.len() > MAX_PROGRAM_BYTES {
            return Err(Diagnostic::error(
                "import::too-large",
                format!("with \"{}\" the program's sources would exceed {MAX_PROGRAM_BYTES} bytes", imp.path),
            )
            .at(&src, imp.path_span, "one import too many")
            .help(format!("a file and its imports may hold {MAX_PROGRAM_BYTES} bytes (64 MiB) of source in all: import fewer or smaller files")));
        }
        self.load(key, Source::new(name, text), stdlib_text.is_some(), dir)
    }

    fn read(&self, key: &str, name: &str) -> Result<String, ReadError> {
        match &self.fs {
            Fs::Disk => read_source(Path::new(key)),
            Fs::Memory(files) => {
                let text = files
                    .get(key)
                    .or_else(|| files.get(name))
                    .ok_or_else(|| ReadError::Io("no such file".into()))?;
                if text.len() > MAX_SOURCE_BYTES {
                    return Err(ReadError::TooLarge);
                }
                Ok(text.clone())
            }
        }
    }
}

/// The name a group or automaton definition gives.
fn def_name(it: &Item) -> &ast::Ident {
    match it {
        Item::Group(g) => &g.name,
        Item::Automaton(a) => &a.name,
        Item::Import(_) => unreachable!("scopes hold only definitions"),
    }
}

/// Why a source file could not be read.
#[derive(Debug, Clone, PartialEq)]
pub enum ReadError {
    Io(String),
    /// More than [`MAX_SOURCE_BYTES`] bytes.
    TooLarge,
    /// Not UTF-8: the first bad byte's offset.
    NotUtf8(usize),
}

impl std::fmt::Display for ReadError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ReadError::Io(e) => f.write_str(e),
            ReadError::TooLarge => write!(
                f,
                "larger than the {MAX_SOURCE_BYTES}-byte (8 MiB) limit for source files"
            ),
            ReadError::NotUtf8(at) => write!(f, "not UTF-8 text (byte {at} is invalid)"),
        }
    }
}

impl ReadError {
    /// What to change.
    pub fn help(&self) -> String {
        match self {
            ReadError::Io(_) => "check the path of the source file".into(),
            ReadError::TooLarge => format!("a source file holds at most {MAX_SOURCE_BYTES} bytes: split it into files joined by `import`"),
            ReadError::NotUtf8(_) => "save the file as UTF-8 text".into(),
        }
    }
}

/// Read a source file: the one way sources come from disk, for the main
/// file and every import. It reads at most [`MAX_SOURCE_BYTES`] + 1 bytes
/// and fails if there are more, so a device or a pipe (whose metadata
/// gives no size) cannot make it read without end.
pub fn read_source(path: &Path) -> Result<String, ReadError> {
    let io = |e: std::io::Error| ReadError::Io(e.to_string());
    let file = std::fs::File::open(path).map_err(io)?;
    if file.metadata().map_err(io)?.is_dir() {
        return Err(ReadError::Io("it is a directory".into()));
    }
    let mut bytes = Vec::new();
    file.take(MAX_SOURCE_BYTES as u64 + 1)
        .read_to_end(&mut bytes)
        .map_err(io)?;
    if bytes.len() > MAX_SOURCE_BYTES {
        return Err(ReadError::TooLarge);
    }
    String::from_utf8(bytes).map_err(|e| ReadError::NotUtf8(e.utf8_error().valid_up_to()))
}

fn canonical_key(path: &Path) -> String {
    std::fs::canonicalize(path)
        .unwrap_or_else(|_| normalise(path))
        .display()
        .to_string()
}

/// `a/./b/../c` → `a/c`, lexically.
fn normalise(path: &Path) -> PathBuf {
    let mut out: Vec<Component> = Vec::new();
    for c in path.components() {
        match c {
            Component::CurDir => {}
            Component::ParentDir if matches!(out.last(), Some(Component::Normal(_))) => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    out.iter().collect()
}
