//! Text encodings of municipal files: UTF-8 (with or without a byte-order mark) and
//! Windows-1252, what Excel and ArcGIS write on a Norwegian Windows.

/// Text encodings seen in municipal exports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Encoding {
    Utf8,
    /// Windows-1252 (a superset of Latin-1): what Excel writes on a Norwegian Windows.
    Windows1252,
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
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘', '’', '“', '”', '•', '–', '—', '˜', '™',
        'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    bytes.iter().map(|&b| if (0x80..0xA0).contains(&b) { HIGH[usize::from(b - 0x80)] } else { char::from(b) }).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

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
