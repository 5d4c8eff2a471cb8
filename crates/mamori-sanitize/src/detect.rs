//! Content type detection (形式判定) from magic bytes. Never from the name or declared type.

/// What the content is, as far as its first bytes tell.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detected {
    Pe,
    Elf,
    MachO,
    Pdf,
    Zip { encrypted: bool, ooxml: bool },
    SevenZip,
    Rar,
    Gzip,
    Ole,
    Tnef,
    Png,
    Jpeg,
    Gif,
    Rtf,
    Html,
    Script,
    Lnk,
    Iso,
    Text,
    Empty,
    Unknown,
}

impl Detected {
    pub fn mime(self) -> &'static str {
        match self {
            Self::Pe => "application/x-msdownload (PE)",
            Self::Elf => "application/x-executable (ELF)",
            Self::MachO => "application/x-mach-binary",
            Self::Pdf => "application/pdf",
            Self::Zip {
                encrypted: true, ..
            } => "application/zip (encrypted)",
            Self::Zip { ooxml: true, .. } => "application/vnd.openxmlformats (OOXML)",
            Self::Zip { .. } => "application/zip",
            Self::SevenZip => "application/x-7z-compressed",
            Self::Rar => "application/vnd.rar",
            Self::Gzip => "application/gzip",
            Self::Ole => "application/x-ole-storage",
            Self::Tnef => "application/vnd.ms-tnef",
            Self::Png => "image/png",
            Self::Jpeg => "image/jpeg",
            Self::Gif => "image/gif",
            Self::Rtf => "application/rtf",
            Self::Html => "text/html",
            Self::Script => "text/x-script",
            Self::Lnk => "application/x-ms-shortcut",
            Self::Iso => "application/x-iso9660-image",
            Self::Text => "text/plain",
            Self::Empty => "(empty)",
            Self::Unknown => "application/octet-stream",
        }
    }

    pub fn is_executable(self) -> bool {
        matches!(
            self,
            Self::Pe | Self::Elf | Self::MachO | Self::Script | Self::Lnk
        )
    }
}

pub(crate) fn detect(b: &[u8]) -> Detected {
    if b.is_empty() {
        return Detected::Empty;
    }
    let starts = |m: &[u8]| b.starts_with(m);
    if starts(b"MZ") {
        return Detected::Pe;
    }
    if starts(b"\x7fELF") {
        return Detected::Elf;
    }
    if starts(&[0xcf, 0xfa, 0xed, 0xfe])
        || starts(&[0xfe, 0xed, 0xfa, 0xcf])
        || starts(&[0xca, 0xfe, 0xba, 0xbe])
    {
        return Detected::MachO;
    }
    if b[..b.len().min(1024)].windows(5).any(|w| w == b"%PDF-") {
        return Detected::Pdf;
    }
    if starts(b"PK\x03\x04") || starts(b"PK\x05\x06") {
        return zip(b);
    }
    if starts(b"7z\xbc\xaf\x27\x1c") {
        return Detected::SevenZip;
    }
    if starts(b"Rar!\x1a\x07") {
        return Detected::Rar;
    }
    if starts(&[0x1f, 0x8b]) {
        return Detected::Gzip;
    }
    if starts(&[0xd0, 0xcf, 0x11, 0xe0, 0xa1, 0xb1, 0x1a, 0xe1]) {
        return Detected::Ole;
    }
    if starts(&[0x78, 0x9f, 0x3e, 0x22]) {
        return Detected::Tnef;
    }
    if starts(b"\x89PNG\r\n\x1a\n") {
        return Detected::Png;
    }
    if starts(&[0xff, 0xd8, 0xff]) {
        return Detected::Jpeg;
    }
    if starts(b"GIF87a") || starts(b"GIF89a") {
        return Detected::Gif;
    }
    if starts(b"{\\rtf") {
        return Detected::Rtf;
    }
    if starts(&[0x4c, 0, 0, 0, 0x01, 0x14, 0x02, 0]) {
        return Detected::Lnk;
    }
    if b.len() > 0x8006 && &b[0x8001..0x8006] == b"CD001" {
        return Detected::Iso;
    }
    let head = String::from_utf8_lossy(&b[..b.len().min(512)]).to_ascii_lowercase();
    let head = head.trim_start();
    if head.starts_with("#!")
        || head.starts_with("@echo")
        || head.starts_with("<job")
        || head.starts_with("<package")
    {
        return Detected::Script;
    }
    if head.starts_with("<!doctype html") || head.starts_with("<html") || head.contains("<script") {
        return Detected::Html;
    }
    let sample = &b[..b.len().min(4096)];
    if !sample.contains(&0)
        && sample
            .iter()
            .filter(|&&c| c < 0x09 || (0x0e..0x20).contains(&c))
            .count()
            * 100
            <= sample.len()
    {
        return Detected::Text;
    }
    Detected::Unknown
}

/// Walks the local file headers: bit 0 of the general-purpose flags marks an encrypted entry.
fn zip(b: &[u8]) -> Detected {
    let mut encrypted = false;
    let mut ooxml = false;
    let mut pos = 0usize;
    let mut entries = 0;
    while pos + 30 <= b.len() && &b[pos..pos + 4] == b"PK\x03\x04" && entries < 10_000 {
        entries += 1;
        let u16_at = |o: usize| u16::from_le_bytes([b[pos + o], b[pos + o + 1]]) as usize;
        let u32_at = |o: usize| {
            u32::from_le_bytes([b[pos + o], b[pos + o + 1], b[pos + o + 2], b[pos + o + 3]])
                as usize
        };
        let flags = u16_at(6);
        let compressed = u32_at(18);
        let name_len = u16_at(26);
        let extra_len = u16_at(28);
        encrypted |= flags & 1 == 1;
        let name_start = pos + 30;
        if let Some(name) = b.get(name_start..name_start + name_len)
            && name == b"[Content_Types].xml"
        {
            ooxml = true;
        }
        if flags & 0x08 != 0 {
            // sizes follow the data; stop walking rather than guess
            break;
        }
        pos = name_start + name_len + extra_len + compressed;
    }
    Detected::Zip { encrypted, ooxml }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn detects_common_types() {
        assert_eq!(detect(b"MZ\x90\0"), Detected::Pe);
        assert_eq!(detect(b"%PDF-1.7\n"), Detected::Pdf);
        assert_eq!(detect(b"hello\n"), Detected::Text);
        assert_eq!(detect(&[0x78, 0x9f, 0x3e, 0x22, 1]), Detected::Tnef);
    }

    #[test]
    fn encrypted_zip_entry() {
        let mut z = b"PK\x03\x04\x14\x00\x01\x00\x00\x00".to_vec();
        z.extend_from_slice(&[0; 8]);
        z.extend_from_slice(&1u32.to_le_bytes()); // compressed size
        z.extend_from_slice(&1u32.to_le_bytes());
        z.extend_from_slice(&5u16.to_le_bytes());
        z.extend_from_slice(&0u16.to_le_bytes());
        z.extend_from_slice(b"a.txtX");
        assert_eq!(
            detect(&z),
            Detected::Zip {
                encrypted: true,
                ooxml: false
            }
        );
    }
}
