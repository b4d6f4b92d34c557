//! File uploads (`POST /v1/files`, multipart) and the `file` object: what Terminal needs for
//! splash screens. Stripe takes uploads at files.stripe.com and serves the bytes there; the
//! simulator does both on its own address, and keeps a bounded number of bytes per account
//! because it runs inside the app.

use super::{find_or_404, list as page, CreatedFilter};
use crate::ctx::{Ctx, Upload};
use crate::errors::{SimError, SimResult};
use crate::params::Params;
use crate::store::StoredFile;
use serde_json::{json, Value};

/// Purposes a file may be uploaded with (the others are files Stripe makes itself).
pub const UPLOAD_PURPOSES: &[&str] = &[
    "account_requirement",
    "additional_verification",
    "business_icon",
    "business_logo",
    "customer_signature",
    "dispute_evidence",
    "identity_document",
    "issuing_regulatory_reporting",
    "pci_document",
    "platform_terms_of_service",
    "tax_document_user_upload",
    "terminal_android_apk",
    "terminal_reader_splashscreen",
    "terminal_wifi_certificate",
    "terminal_wifi_private_key",
];

/// Every purpose a file can have, for the list filter.
const ALL_PURPOSES: &[&str] = &[
    "account_requirement",
    "additional_verification",
    "business_icon",
    "business_logo",
    "customer_signature",
    "dispute_evidence",
    "document_provider_identity_document",
    "finance_report_run",
    "financial_account_statement",
    "identity_document",
    "identity_document_downloadable",
    "issuing_regulatory_reporting",
    "pci_document",
    "platform_terms_of_service",
    "selfie",
    "sigma_scheduled_query",
    "tax_document_user_upload",
    "terminal_android_apk",
    "terminal_reader_splashscreen",
    "terminal_wifi_certificate",
    "terminal_wifi_private_key",
];

const MIB: usize = 1024 * 1024;
/// The largest upload the simulator takes (SIMULATOR.md).
pub const MAX_FILE_BYTES: usize = 16 * MIB;
/// Stripe's splash screen limits: JPG and PNG under 2 MB, GIF under 4 MB.
const SPLASH_STILL_BYTES: usize = 2 * MIB;
const SPLASH_GIF_BYTES: usize = 4 * MIB;

/// The file's `type` and `Content-Type`, from its first bytes, else its name's extension.
fn sniff(bytes: &[u8], filename: Option<&str>) -> (Option<String>, &'static str) {
    let by_content = if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
        Some(("png", "image/png"))
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some(("jpg", "image/jpeg"))
    } else if bytes.starts_with(b"GIF87a") || bytes.starts_with(b"GIF89a") {
        Some(("gif", "image/gif"))
    } else if bytes.starts_with(b"%PDF-") {
        Some(("pdf", "application/pdf"))
    } else {
        None
    };
    if let Some((kind, mime)) = by_content {
        return (Some(kind.into()), mime);
    }
    let extension = filename
        .and_then(|f| f.rsplit_once('.'))
        .map(|(_, ext)| ext.to_ascii_lowercase())
        .filter(|ext| {
            !ext.is_empty() && ext.len() <= 8 && ext.chars().all(|c| c.is_ascii_alphanumeric())
        });
    let mime = match extension.as_deref() {
        Some("csv") => "text/csv",
        Some("txt") => "text/plain",
        _ => "application/octet-stream",
    };
    (extension, mime)
}

fn file_link_data(p: &Params) -> SimResult<()> {
    let Some(given) = p.get("file_link_data") else {
        return Ok(());
    };
    let Some(data) = given.as_object() else {
        return Err(SimError::bad_request("Invalid hash").param("file_link_data"));
    };
    if let Some(k) = data
        .keys()
        .find(|k| !["create", "expires_at", "metadata"].contains(&k.as_str()))
    {
        return Err(SimError::unknown(&format!("file_link_data[{k}]")));
    }
    match data.get("create").and_then(Value::as_str) {
        None => Err(SimError::missing("file_link_data[create]")),
        Some("false") => Ok(()),
        Some("true") => Err(SimError::bad_request(
            "The simulator does not make file links: upload without file_link_data[create]=true and read the file at its url with your API key.",
        )
        .param("file_link_data[create]")),
        Some(other) => Err(SimError::invalid(
            "parameter_invalid_boolean",
            format!("Invalid boolean: {other}"),
        )
        .param("file_link_data[create]")),
    }
}

/// What Stripe checks of a splash screen: an image, and small enough for the reader.
fn check_splashscreen(kind: Option<&str>, size: usize) -> SimResult<()> {
    let limit = match kind {
        Some("png" | "jpg") => SPLASH_STILL_BYTES,
        Some("gif") => SPLASH_GIF_BYTES,
        other => {
            return Err(SimError::bad_request(format!(
            "A terminal_reader_splashscreen file must be a PNG, JPG or GIF image; this one is {}.",
            other.map_or("of an unrecognised type".to_string(), |t| format!(
                "a {t} file"
            ))
        ))
            .param("file"))
        }
    };
    if size >= limit {
        return Err(SimError::bad_request(format!(
            "Splash screen images must be less than {} MB as {}: this one is {size} bytes.",
            limit / MIB,
            if limit == SPLASH_GIF_BYTES {
                "a GIF"
            } else {
                "a JPG or PNG"
            },
        ))
        .param("file"));
    }
    Ok(())
}

pub fn create(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&["file", "purpose", "file_link_data"])?;
    let purpose = p.req_str("purpose")?;
    if !UPLOAD_PURPOSES.contains(&purpose.as_str()) {
        return Err(SimError::invalid_string(
            "purpose",
            format!(
                "Invalid purpose: must be one of {}",
                UPLOAD_PURPOSES.join(", ")
            ),
        ));
    }
    if p.get("file").is_none() {
        return Err(SimError::missing("file"));
    }
    let Some(Upload { filename, bytes }) = ctx.upload.take() else {
        return Err(SimError::bad_request(
            "Upload the file as multipart/form-data, with its content in a part named 'file'.",
        )
        .param("file"));
    };
    file_link_data(p)?;
    if bytes.is_empty() {
        return Err(SimError::bad_request("The file is empty.").param("file"));
    }
    if bytes.len() > MAX_FILE_BYTES {
        return Err(SimError::bad_request(format!(
            "The file is {} bytes; files can be at most {} MB.",
            bytes.len(),
            MAX_FILE_BYTES / MIB
        ))
        .param("file"));
    }
    if purpose == "terminal_reader_splashscreen" {
        let (kind, _) = sniff(&bytes, filename.as_deref());
        check_splashscreen(kind.as_deref(), bytes.len())?;
    }
    let cap = ctx.sim.config().file_bytes_per_account;
    let used: usize = ctx.acct().files.iter().map(|f| f.bytes.len()).sum();
    if used + bytes.len() > cap {
        return Err(SimError::bad_request(format!(
            "The simulator keeps at most {cap} bytes of files per account (SimConfig::file_bytes_per_account); this account holds {used} and the upload is {} bytes.",
            bytes.len()
        ))
        .param("file"));
    }
    Ok(store(ctx, &purpose, filename, bytes))
}

/// Keeps `bytes` on the account as a file and answers its object.
fn store(ctx: &mut Ctx<'_>, purpose: &str, filename: Option<String>, bytes: Vec<u8>) -> Value {
    let (kind, content_type) = sniff(&bytes, filename.as_deref());
    let id = ctx.new_id("file");
    let json = json!({
        "id": id,
        "object": "file",
        "created": ctx.now(),
        "expires_at": null,
        "filename": filename,
        "links": { "object": "list", "data": [], "has_more": false, "url": format!("/v1/file_links?file={id}") },
        "purpose": purpose,
        "size": bytes.len(),
        "title": null,
        "type": kind,
        "url": format!("{}/v1/files/{id}/contents", ctx.origin),
    });
    ctx.acct().files.push(StoredFile {
        json: json.clone(),
        bytes,
        content_type,
    });
    json
}

/// A file the simulator makes itself (a signature a reader collected), counted like uploads.
pub fn record(ctx: &mut Ctx<'_>, purpose: &str, filename: &str, bytes: Vec<u8>) -> String {
    let json = store(ctx, purpose, Some(filename.to_string()), bytes);
    json["id"].as_str().unwrap_or_default().to_string()
}

pub fn retrieve(ctx: &mut Ctx<'_>, id: &str, p: &Params) -> SimResult<Value> {
    p.allow(&[])?;
    let mut items: Vec<Value> = ctx.acct().files.iter().map(|f| f.json.clone()).collect();
    find_or_404(&mut items, id, "file upload").map(|f| f.clone())
}

pub fn list(ctx: &mut Ctx<'_>, p: &Params) -> SimResult<Value> {
    p.allow(&[
        "limit",
        "starting_after",
        "ending_before",
        "purpose",
        "created",
    ])?;
    let purpose = p.one_of("purpose", ALL_PURPOSES)?;
    let created = CreatedFilter::parse(p)?;
    let items = ctx
        .acct()
        .files
        .iter()
        .map(|f| &f.json)
        .filter(|f| {
            purpose.as_ref().is_none_or(|v| f["purpose"] == v.as_str()) && created.matches(f)
        })
        .cloned()
        .collect();
    page(items, p, "/v1/files")
}

/// The bytes of a file of the account and their `Content-Type`, for `GET …/contents`.
pub fn contents(ctx: &mut Ctx<'_>, id: &str) -> SimResult<(&'static str, Vec<u8>)> {
    ctx.acct()
        .files
        .iter()
        .find(|f| f.json["id"] == id)
        .map(|f| (f.content_type, f.bytes.clone()))
        .ok_or_else(|| SimError::not_found("file upload", id))
}
