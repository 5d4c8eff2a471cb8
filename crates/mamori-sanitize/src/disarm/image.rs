//! 画像の無害化: PNG and JPEG decoded to pixels and encoded anew, so that no metadata chunk or
//! segment (EXIF, XMP, ICC, text) and nothing after the image's end (polyglots) survives.

use std::io::Cursor;

use super::{Failure, Rebuilt};
use crate::Budget;

/// JPEG quality of the re-encoded image.
const JPEG_QUALITY: u8 = 90;

/// Checks declared dimensions before any pixel buffer is allocated.
fn check_pixels(width: u64, height: u64, max_pixels: u64) -> Result<(), Failure> {
    let pixels = width.saturating_mul(height);
    if width == 0 || height == 0 {
        return Err(Failure::Refused("image has no pixels".into()));
    }
    if pixels > max_pixels {
        return Err(Failure::Refused(format!(
            "image declares {width}×{height} pixels, above the limit of {max_pixels}"
        )));
    }
    Ok(())
}

/// Names of the PNG chunks other than the image data, and whether bytes follow `IEND`.
fn png_extras(b: &[u8]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut pos = 8usize;
    while let Some(len_bytes) = b.get(pos..pos + 4) {
        let len = u32::from_be_bytes([len_bytes[0], len_bytes[1], len_bytes[2], len_bytes[3]]);
        let Some(kind) = b.get(pos + 4..pos + 8) else {
            break;
        };
        let name = if kind.iter().all(u8::is_ascii_alphabetic) {
            String::from_utf8_lossy(kind).into_owned()
        } else {
            "(unnamed chunk)".to_string()
        };
        pos = pos.saturating_add(12).saturating_add(len as usize);
        if name == "IEND" {
            if pos < b.len() {
                seen.push(format!("data after IEND ({} bytes)", b.len() - pos));
            }
            break;
        }
        let kept = ["IHDR", "PLTE", "IDAT", "tRNS"];
        if !kept.contains(&name.as_str()) && !seen.contains(&name) {
            seen.push(name);
        }
    }
    seen
}

pub(super) fn png(
    content: &[u8],
    max_pixels: u64,
    budget: &dyn Budget,
) -> Result<Rebuilt, Failure> {
    let removed = png_extras(content);
    // Pixel buffers are bounded by the pixel limit; the decoder's own allocations by this.
    let limits = png::Limits {
        bytes: usize::try_from(max_pixels.saturating_mul(8)).unwrap_or(usize::MAX),
    };
    let mut decoder = png::Decoder::new_with_limits(Cursor::new(content), limits);
    // Pixels as stored (same colour type, depth and palette), so the new file is no larger.
    decoder.set_transformations(png::Transformations::IDENTITY);
    decoder.set_ignore_text_chunk(true);
    decoder.set_ignore_iccp_chunk(true);
    let mut reader = decoder
        .read_info()
        .map_err(|_| Failure::Refused("PNG cannot be decoded".into()))?;
    let info = reader.info();
    let (width, height) = (info.width, info.height);
    let palette = info.palette.as_ref().map(|p| p.to_vec());
    let trns = info.trns.as_ref().map(|t| t.to_vec());
    check_pixels(u64::from(width), u64::from(height), max_pixels)?;
    let size = reader
        .output_buffer_size()
        .ok_or_else(|| Failure::Refused("PNG output size overflows".into()))?;
    if budget.exhausted() {
        return Err(Failure::OutOfTime);
    }
    let mut pixels = vec![0; size];
    let frame = reader
        .next_frame(&mut pixels)
        .map_err(|_| Failure::Refused("PNG cannot be decoded".into()))?;
    pixels.truncate(frame.buffer_size());
    if budget.exhausted() {
        return Err(Failure::OutOfTime);
    }
    let mut out = Vec::new();
    let mut encoder = png::Encoder::new(&mut out, frame.width, frame.height);
    encoder.set_color(frame.color_type);
    encoder.set_depth(frame.bit_depth);
    if let Some(p) = palette {
        encoder.set_palette(p);
    }
    if let Some(t) = trns {
        encoder.set_trns(t);
    }
    let mut writer = encoder
        .write_header()
        .map_err(|_| Failure::Refused("PNG cannot be encoded".into()))?;
    writer
        .write_image_data(&pixels)
        .and_then(|()| writer.finish())
        .map_err(|_| Failure::Refused("PNG cannot be encoded".into()))?;
    Ok(Rebuilt {
        bytes: out,
        extension: "png",
        mime: "image/png",
        removed,
    })
}

/// Names of the JPEG segments other than the image data, and whether bytes follow `EOI`.
fn jpeg_extras(b: &[u8]) -> Vec<String> {
    let mut seen: Vec<String> = Vec::new();
    let mut add = |s: String| {
        if !seen.contains(&s) {
            seen.push(s);
        }
    };
    let mut pos = 2usize;
    while pos + 4 <= b.len() {
        if b[pos] != 0xff {
            break;
        }
        let marker = b[pos + 1];
        let len = usize::from(u16::from_be_bytes([b[pos + 2], b[pos + 3]]));
        match marker {
            0xe0..=0xef => {
                let payload = b.get(pos + 4..pos + 2 + len).unwrap_or_default();
                if marker == 0xe0 && payload.starts_with(b"JFIF\0") {
                    // The standard header, which the new file has too.
                    pos += 2 + len;
                    continue;
                }
                let id = if payload.starts_with(b"Exif\0") {
                    " (EXIF)"
                } else if payload.starts_with(b"http://ns.adobe.com/xap") {
                    " (XMP)"
                } else if payload.starts_with(b"ICC_PROFILE") {
                    " (ICC)"
                } else {
                    ""
                };
                add(format!("APP{}{id}", marker - 0xe0));
            }
            0xfe => add("COM".into()),
            0xda => break,
            _ => {}
        }
        pos += 2 + len;
    }
    // Data after the last end-of-image marker: a polyglot or an appended archive.
    if let Some(eoi) = b.windows(2).rposition(|w| w == [0xff, 0xd9])
        && eoi + 2 < b.len()
    {
        add(format!("data after EOI ({} bytes)", b.len() - eoi - 2));
    }
    seen
}

pub(super) fn jpeg(
    content: &[u8],
    max_pixels: u64,
    budget: &dyn Budget,
) -> Result<Rebuilt, Failure> {
    use zune_jpeg::zune_core::bytestream::ZCursor;
    use zune_jpeg::zune_core::colorspace::ColorSpace;
    use zune_jpeg::zune_core::options::DecoderOptions;

    let removed = jpeg_extras(content);
    let side = usize::try_from(max_pixels.min(u64::from(u16::MAX))).unwrap_or(usize::MAX);
    let options = DecoderOptions::new_safe()
        .set_max_width(side)
        .set_max_height(side)
        .jpeg_set_out_colorspace(ColorSpace::RGB);
    let mut decoder = zune_jpeg::JpegDecoder::new_with_options(ZCursor::new(content), options);
    decoder
        .decode_headers()
        .map_err(|_| Failure::Refused("JPEG cannot be decoded".into()))?;
    let info = decoder
        .info()
        .ok_or_else(|| Failure::Refused("JPEG has no frame header".into()))?;
    check_pixels(u64::from(info.width), u64::from(info.height), max_pixels)?;
    if budget.exhausted() {
        return Err(Failure::OutOfTime);
    }
    let pixels = decoder
        .decode()
        .map_err(|_| Failure::Refused("JPEG cannot be decoded".into()))?;
    if pixels.len() != usize::from(info.width) * usize::from(info.height) * 3 {
        return Err(Failure::Refused(
            "JPEG decoded to an unexpected size".into(),
        ));
    }
    if budget.exhausted() {
        return Err(Failure::OutOfTime);
    }
    let mut out = Vec::new();
    jpeg_encoder::Encoder::new(&mut out, JPEG_QUALITY)
        .encode(
            &pixels,
            info.width,
            info.height,
            jpeg_encoder::ColorType::Rgb,
        )
        .map_err(|_| Failure::Refused("JPEG cannot be encoded".into()))?;
    Ok(Rebuilt {
        bytes: out,
        extension: "jpg",
        mime: "image/jpeg",
        removed,
    })
}
