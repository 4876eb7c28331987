//! CSV answers of the reports (`Accept: text/csv`): a header row with the JSON field names,
//! then one row per item, written by the `csv` crate (quoting, escaping).

use axum::http::{HeaderMap, HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde::Serialize;

use crate::error::ApiError;

/// The CSV media type.
pub const TEXT_CSV: &str = "text/csv";

/// Quality (0–1000) the `Accept` header gives `media`, or to it through `type/*` or `*/*`.
fn quality(accept: &str, media: &str) -> Option<u32> {
    let (kind, _) = media.split_once('/')?;
    let mut best: Option<(u8, u32)> = None;
    for range in accept.split(',') {
        let mut parts = range.split(';');
        let name = parts.next().unwrap_or("").trim().to_ascii_lowercase();
        let specificity = if name == media {
            2
        } else if name == format!("{kind}/*") {
            1
        } else if name == "*/*" {
            0
        } else {
            continue;
        };
        let q = parts
            .filter_map(|p| p.trim().strip_prefix("q="))
            .filter_map(|q| q.trim().parse::<f32>().ok())
            .next()
            .unwrap_or(1.0);
        // Rounded to thousandths, as HTTP writes them.
        let q = (q.clamp(0.0, 1.0) * 1000.0).round() as u32;
        if best.is_none_or(|(s, _)| specificity > s) {
            best = Some((specificity, q));
        }
    }
    best.map(|(_, q)| q)
}

/// Whether the request prefers CSV to JSON: `text/csv` named explicitly, with a quality
/// above JSON's (a plain `*/*` or no `Accept` means JSON).
pub fn wants_csv(headers: &HeaderMap) -> bool {
    let accept = headers
        .get_all(header::ACCEPT)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .collect::<Vec<_>>()
        .join(",");
    let named = accept.split(',').any(|r| {
        r.split(';')
            .next()
            .unwrap_or("")
            .trim()
            .eq_ignore_ascii_case(TEXT_CSV)
    });
    if !named {
        return false;
    }
    let csv = quality(&accept, TEXT_CSV).unwrap_or(0);
    let json = quality(&accept, "application/json").unwrap_or(0);
    csv > 0 && csv >= json
}

/// `rows` as a CSV document with a header row (the header alone when there are none).
pub fn render<T: Serialize>(header_row: &[&str], rows: &[T]) -> Result<Response, ApiError> {
    let mut writer = csv::WriterBuilder::new()
        .has_headers(false)
        .from_writer(Vec::new());
    let failed = |e: csv::Error| ApiError::internal(format!("writing CSV: {e}"));
    writer.write_record(header_row).map_err(failed)?;
    for row in rows {
        writer.serialize(row).map_err(failed)?;
    }
    let body = writer
        .into_inner()
        .map_err(|e| ApiError::internal(format!("writing CSV: {e}")))?;
    Ok((
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("text/csv; charset=utf-8"),
        )],
        body,
    )
        .into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn accept(value: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::ACCEPT,
            HeaderValue::from_str(value).expect("header"),
        );
        headers
    }

    #[test]
    fn csv_only_when_asked_and_preferred() {
        assert!(wants_csv(&accept("text/csv")));
        assert!(wants_csv(&accept("text/csv, application/json;q=0.5")));
        assert!(wants_csv(&accept("TEXT/CSV; charset=utf-8")));
        assert!(!wants_csv(&accept("application/json, text/csv;q=0.5")));
        assert!(!wants_csv(&accept("*/*")));
        assert!(!wants_csv(&accept("text/csv;q=0")));
        assert!(!wants_csv(&HeaderMap::new()));
    }

    #[derive(Serialize)]
    struct Row {
        a: &'static str,
        b: Option<u64>,
    }

    #[tokio::test]
    async fn header_row_then_quoted_values() {
        let response = render(
            &["a", "b"],
            &[
                Row {
                    a: "x,\"y\"",
                    b: Some(1),
                },
                Row { a: "z", b: None },
            ],
        )
        .expect("csv");
        let body = axum::body::to_bytes(response.into_body(), 1024)
            .await
            .expect("body");
        assert_eq!(&body[..], b"a,b\n\"x,\"\"y\"\"\",1\nz,\n");
    }
}
