//! Reading files that may not be what their names say. A linter runs unattended over whatever a
//! repository holds: a FIFO named `tsconfig.json` must not block the run for ever, `/dev/zero`
//! must not be read until memory runs out, and a 1 GiB file must be refused before it is read.
//! Every file nestlint reads (sources, configuration, manifests, baselines) goes through here.

use std::fmt;
use std::fs::{File, FileType, Metadata};
use std::io::Read;
use std::path::Path;

/// The largest file nestlint reads: sources and configuration alike. Larger files are generated
/// or vendored code, reported and skipped.
pub const MAX_FILE_BYTES: u64 = 4 * 1024 * 1024;

/// Why a file was not read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ReadError {
    /// Nothing at that path (or a symbolic link to nothing).
    Missing,
    /// A symbolic link loop.
    Loop,
    /// Not a regular file: what it is (`a FIFO`, `a directory`, ...).
    NotRegular(&'static str),
    /// Larger than the limit: its size when known (a stream's is not).
    TooLarge { size: Option<u64>, limit: u64 },
    /// Any other failure, as the system words it.
    Io(String),
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReadError::Missing => write!(f, "no such file or directory"),
            ReadError::Loop => write!(f, "a symbolic link loop"),
            ReadError::NotRegular(kind) => write!(f, "not a regular file ({kind})"),
            ReadError::TooLarge {
                size: Some(size),
                limit,
            } => write!(
                f,
                "{size} bytes is larger than the {} limit",
                human_size(*limit)
            ),
            ReadError::TooLarge { size: None, limit } => {
                write!(f, "larger than the {} limit", human_size(*limit))
            }
            ReadError::Io(message) => write!(f, "{message}"),
        }
    }
}

/// `4 MiB`, `512 KiB`, `100 bytes`.
pub fn human_size(bytes: u64) -> String {
    if bytes >= 1024 * 1024 && bytes.is_multiple_of(1024 * 1024) {
        format!("{} MiB", bytes / (1024 * 1024))
    } else if bytes >= 1024 && bytes.is_multiple_of(1024) {
        format!("{} KiB", bytes / 1024)
    } else {
        format!("{bytes} bytes")
    }
}

impl From<std::io::Error> for ReadError {
    fn from(err: std::io::Error) -> Self {
        if err.kind() == std::io::ErrorKind::NotFound {
            return ReadError::Missing;
        }
        #[cfg(unix)]
        if err.raw_os_error() == Some(libc::ELOOP) {
            return ReadError::Loop;
        }
        ReadError::Io(lowercase_first(&err.to_string()))
    }
}

/// What a non-regular file is, for messages.
pub fn kind_of(file_type: FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if file_type.is_fifo() {
            return "a FIFO";
        }
        if file_type.is_socket() {
            return "a socket";
        }
        if file_type.is_char_device() {
            return "a character device";
        }
        if file_type.is_block_device() {
            return "a block device";
        }
    }
    if file_type.is_dir() {
        "a directory"
    } else if file_type.is_symlink() {
        "a symbolic link"
    } else if file_type.is_file() {
        "a regular file"
    } else {
        "a special file"
    }
}

/// The metadata of what `path` leads to, following symbolic links.
pub fn metadata(path: &Path) -> Result<Metadata, ReadError> {
    Ok(std::fs::metadata(path)?)
}

/// What says a file changed, for checking a handful of files often (configuration): its
/// modification time and size. `of` is `None` for a file that does not exist.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileStamp {
    modified: Option<std::time::SystemTime>,
    len: u64,
}

impl FileStamp {
    pub fn of(path: &Path) -> Option<FileStamp> {
        let metadata = std::fs::metadata(path).ok()?;
        Some(FileStamp {
            modified: metadata.modified().ok(),
            len: metadata.len(),
        })
    }
}

/// Whether `path` leads to a regular file (following symbolic links). Unlike
/// `Path::is_file`, says why not.
pub fn regular_file(path: &Path) -> Result<Metadata, ReadError> {
    let metadata = metadata(path)?;
    if metadata.is_file() {
        Ok(metadata)
    } else {
        Err(ReadError::NotRegular(kind_of(metadata.file_type())))
    }
}

/// Reads a regular file of at most `limit` bytes. Refuses anything else before opening it, and
/// opens without blocking, so a FIFO swapped in between cannot hang the run.
pub fn read_limited(path: &Path, limit: u64) -> Result<Vec<u8>, ReadError> {
    let metadata = regular_file(path)?;
    if metadata.len() > limit {
        return Err(ReadError::TooLarge {
            size: Some(metadata.len()),
            limit,
        });
    }
    let file = open_nonblocking(path)?;
    let opened = file.metadata()?;
    if !opened.is_file() {
        return Err(ReadError::NotRegular(kind_of(opened.file_type())));
    }
    // Sized once (plus one byte, to see the end), not grown by doubling.
    let mut bytes = Vec::with_capacity(usize::try_from(opened.len().min(limit)).unwrap_or(0) + 1);
    file.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

/// Reads at most `limit` bytes of `reader`; more is [`ReadError::TooLarge`] (reading stops
/// there: standard input may never end).
pub fn read_to_limit(reader: impl Read, limit: u64) -> Result<Vec<u8>, ReadError> {
    let mut bytes = Vec::new();
    reader.take(limit + 1).read_to_end(&mut bytes)?;
    if bytes.len() as u64 > limit {
        return Err(ReadError::TooLarge { size: None, limit });
    }
    Ok(bytes)
}

/// [`read_limited`] as UTF-8 text.
pub fn read_text(path: &Path, limit: u64) -> Result<String, ReadError> {
    let bytes = read_limited(path, limit)?;
    String::from_utf8(bytes).map_err(|err| {
        ReadError::Io(format!(
            "not valid UTF-8 (invalid byte at offset {})",
            err.utf8_error().valid_up_to()
        ))
    })
}

/// A text file that may be absent: `Ok(None)` when there is nothing at `path`.
pub fn read_text_if_present(path: &Path, limit: u64) -> Result<Option<String>, ReadError> {
    match read_text(path, limit) {
        Ok(text) => Ok(Some(text)),
        Err(ReadError::Missing) => Ok(None),
        Err(err) => Err(err),
    }
}

fn open_nonblocking(path: &Path) -> Result<File, ReadError> {
    let mut options = std::fs::OpenOptions::new();
    options.read(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.custom_flags(libc::O_NONBLOCK);
    }
    Ok(options.open(path)?)
}

fn lowercase_first(message: &str) -> String {
    let mut chars = message.chars();
    match chars.next() {
        Some(first) => first.to_lowercase().chain(chars).collect(),
        None => String::new(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn refuses_what_is_not_a_regular_file_before_reading_it() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(
            read_limited(dir.path(), 10),
            Err(ReadError::NotRegular("a directory"))
        );
        assert_eq!(
            read_limited(&dir.path().join("absent"), 10),
            Err(ReadError::Missing)
        );
        #[cfg(unix)]
        {
            assert_eq!(
                read_limited(Path::new("/dev/zero"), 10),
                Err(ReadError::NotRegular("a character device"))
            );
            let fifo = dir.path().join("fifo");
            let name = std::ffi::CString::new(fifo.to_str().unwrap()).unwrap();
            // SAFETY: a valid NUL-terminated path; mkfifo only creates a file.
            assert_eq!(unsafe { libc::mkfifo(name.as_ptr(), 0o644) }, 0);
            assert_eq!(
                read_limited(&fifo, 10),
                Err(ReadError::NotRegular("a FIFO"))
            );
            let a = dir.path().join("a");
            std::os::unix::fs::symlink(dir.path().join("b"), &a).unwrap();
            std::os::unix::fs::symlink(&a, dir.path().join("b")).unwrap();
            assert_eq!(read_limited(&a, 10), Err(ReadError::Loop));
        }
    }

    #[test]
    fn refuses_a_large_file_by_its_size_and_a_stream_at_the_limit() {
        let dir = tempfile::tempdir().unwrap();
        let big = dir.path().join("big");
        std::fs::write(&big, vec![b'x'; 11]).unwrap();
        assert_eq!(
            read_limited(&big, 10),
            Err(ReadError::TooLarge {
                size: Some(11),
                limit: 10
            })
        );
        assert_eq!(read_limited(&big, 11).unwrap().len(), 11);
        // An endless stream stops one byte past the limit.
        assert_eq!(
            read_to_limit(std::io::repeat(0), 1024),
            Err(ReadError::TooLarge {
                size: None,
                limit: 1024
            })
        );
        assert_eq!(human_size(4 * 1024 * 1024), "4 MiB");
    }
}
