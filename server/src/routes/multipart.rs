//! Reading a multipart form that works before hydration (a file upload posts one), bounded:
//! the splash screen upload and the bulk registration CSV.

use axum::body::{to_bytes, Body, Bytes};
use axum::http::{header, HeaderMap};

/// Why a form could not be read.
pub enum Unreadable {
    /// Larger than the route allows, as declared or as sent.
    TooLarge,
    /// Not a multipart form, or cut off.
    Malformed,
}

/// Every field of the form (name, bytes), in the order sent, reading at most `limit` bytes.
pub async fn fields(
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Vec<(String, Bytes)>, Unreadable> {
    let declared = headers
        .get(header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(Unreadable::TooLarge);
    }
    let bytes = to_bytes(body, limit)
        .await
        .map_err(|_| Unreadable::TooLarge)?;
    let content_type = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    let boundary = multer::parse_boundary(content_type).map_err(|_| Unreadable::Malformed)?;
    let stream = futures::stream::once(async move { Ok::<Bytes, std::convert::Infallible>(bytes) });
    let mut parts = multer::Multipart::new(stream, boundary);
    let mut fields = Vec::new();
    while let Some(part) = parts
        .next_field()
        .await
        .map_err(|_| Unreadable::Malformed)?
    {
        let name = part.name().unwrap_or_default().to_string();
        let value = part.bytes().await.map_err(|_| Unreadable::Malformed)?;
        fields.push((name, value));
    }
    Ok(fields)
}
