//! Text encodings of municipal files: UTF-8 (with or without a byte-order mark) and
//! Windows-1252, what Excel and ArcGIS write on a Norwegian Windows.

/// Text encodings seen in municipal exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// Windows-1252 (a superset of Latin-1): what Excel writes on a Norwegian Windows.
    Windows1252,
}

impl Encoding {
    /// The name files and users give it (`UTF-8`, `Windows-1252`); [`FromStr`](std::str::FromStr) reads it back.
    pub fn name(self) -> &'static str {
        match self {
            Encoding::Utf8 => "UTF-8",
            Encoding::Windows1252 => "Windows-1252",
        }
    }
}

impl std::fmt::Display for Encoding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Encoding {
    type Err = String;

    fn from_str(s: &str) -> Result<Encoding, String> {
        match s.to_ascii_lowercase().replace('_', "-").as_str() {
            "utf-8" | "utf8" => Ok(Encoding::Utf8),
            "windows-1252" | "cp1252" | "1252" | "latin-1" | "latin1" | "iso-8859-1" => Ok(Encoding::Windows1252),
            other => Err(format!("unknown encoding '{other}': utf-8 or windows-1252")),
        }
    }
}

/// Text of the file without a byte-order mark: UTF-8 when it is valid UTF-8 (or asked for),
/// else Windows-1252.
pub fn decode(mut bytes: Vec<u8>, asked: Option<Encoding>) -> Result<(String, Encoding), String> {
    if bytes.starts_with(&[0xEF, 0xBB, 0xBF]) {
        bytes.drain(..3);
    }
    match asked {
        Some(Encoding::Windows1252) => Ok((windows_1252(&bytes), Encoding::Windows1252)),
        Some(Encoding::Utf8) => String::from_utf8(bytes)
            .map(|t| (t, Encoding::Utf8))
            .map_err(|e| format!("not valid UTF-8 (byte {} of the file); if Excel wrote it, pass --encoding windows-1252", e.utf8_error().valid_up_to())),
        None => match String::from_utf8(bytes) {
            Ok(text) => Ok((text, Encoding::Utf8)),
            Err(e) => Ok((windows_1252(e.as_bytes()), Encoding::Windows1252)),
        },
    }
}

/// Decodes Windows-1252: Latin-1, except 0x80-0x9F, which hold typographic characters.
pub fn windows_1252(bytes: &[u8]) -> String {
    bytes.iter().map(|&b| windows_1252_char(b)).collect()
}

/// One Windows-1252 byte as a character.
pub fn windows_1252_char(b: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™',
        'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    if (0x80..0xA0).contains(&b) { HIGH[usize::from(b - 0x80)] } else { char::from(b) }
}

/// A byte stream as UTF-8 with LF line ends, without holding it whole: Windows-1252 is
/// transcoded byte by byte, and a CR before an LF is dropped (the csv crate counts a CRLF as two
/// line ends in its positions, which put every `file:line` of a Windows file one line off).
pub struct Normalised<R> {
    inner: R,
    windows_1252: bool,
    chunk: Vec<u8>,
    out: Vec<u8>,
    at: usize,
    held_cr: bool,
}

impl<R: std::io::Read> Normalised<R> {
    pub fn new(inner: R, encoding: Encoding) -> Normalised<R> {
        Normalised { inner, windows_1252: encoding == Encoding::Windows1252, chunk: vec![0; 64 * 1024], out: Vec::new(), at: 0, held_cr: false }
    }

    fn push(&mut self, b: u8) {
        if self.windows_1252 && b >= 0x80 {
            let mut utf8 = [0; 4];
            self.out.extend_from_slice(windows_1252_char(b).encode_utf8(&mut utf8).as_bytes());
        } else {
            self.out.push(b);
        }
    }

    /// Reads and converts the next chunk; false at the end of the input.
    fn refill(&mut self) -> std::io::Result<bool> {
        self.out.clear();
        self.at = 0;
        let n = self.inner.read(&mut self.chunk)?;
        if n == 0 {
            if std::mem::take(&mut self.held_cr) {
                self.out.push(b'\r');
            }
            return Ok(!self.out.is_empty());
        }
        if !self.windows_1252 && !self.held_cr && !self.chunk[..n].contains(&b'\r') {
            // UTF-8 with LF line ends, almost every file: nothing to convert.
            self.out.extend_from_slice(&self.chunk[..n]);
            return Ok(true);
        }
        for i in 0..n {
            let b = self.chunk[i];
            if std::mem::take(&mut self.held_cr) && b != b'\n' {
                self.out.push(b'\r');
            }
            if b == b'\r' {
                self.held_cr = true;
            } else {
                self.push(b);
            }
        }
        Ok(true)
    }
}

impl<R: std::io::Read> std::io::Read for Normalised<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        while self.at == self.out.len() {
            if !self.refill()? {
                return Ok(0);
            }
        }
        let n = buf.len().min(self.out.len() - self.at);
        buf[..n].copy_from_slice(&self.out[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_stream_is_utf8_with_lf_line_ends_whatever_the_chunking() {
        use std::io::Read;
        let input = b"id;\xd8st\r\na;1\r\n\rb;2\r".to_vec();
        // One byte per read: a CR at the end of one read and its LF in the next still fold.
        struct Trickle(std::io::Cursor<Vec<u8>>);
        impl std::io::Read for Trickle {
            fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
                let n = buf.len().min(1);
                self.0.read(&mut buf[..n])
            }
        }
        let mut text = String::new();
        Normalised::new(Trickle(std::io::Cursor::new(input)), Encoding::Windows1252).read_to_string(&mut text).unwrap();
        assert_eq!(text, "id;Øst\na;1\n\rb;2\r");
    }

    #[test]
    fn norwegian_excel_text_decodes() {
        assert_eq!(windows_1252(b"\xd8st \xe6 \xe5 \x80"), "Øst æ å €");
        let (text, encoding) = decode(b"\xef\xbb\xbfid;\xc3\x98st".to_vec(), None).unwrap();
        assert_eq!((text.as_str(), encoding), ("id;Øst", Encoding::Utf8));
        let (text, encoding) = decode(b"id;\xd8st".to_vec(), None).unwrap();
        assert_eq!((text.as_str(), encoding), ("id;Øst", Encoding::Windows1252));
        assert!(decode(b"id;\xd8st".to_vec(), Some(Encoding::Utf8)).unwrap_err().contains("--encoding windows-1252"));
    }
}
