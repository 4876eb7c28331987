//! The store's writes and the statements they run: admissions (capped project-wide or
//! not), settlements and releases, alone or several in one transaction.

use ai_ratelimit_core::{AdmitRequest, StoreError, Usage, UsageKey};
use chrono::{DateTime, Utc};
use rusqlite::{Connection, OptionalExtension, TransactionBehavior, params};

use crate::statements;

/// A write of the store.
#[derive(Debug, Clone)]
pub(crate) enum Write {
    Admit(AdmitRequest),
    /// The reservation's key and id, and the tokens used.
    Settle(UsageKey, i64, u64),
    /// The reservation's key and id.
    Release(UsageKey, i64),
}

/// An admission's answer: the identity's row and, when capped project-wide, the scope's.
/// A capped admission the identity's limits deny has no scope row; one the cap denies has
/// the scope's row with its admitted flag false (and so has the identity's).
#[derive(Debug, Clone, Copy)]
pub(crate) struct AdmitRows {
    pub(crate) identity: AdmitRow,
    pub(crate) scope: Option<AdmitRow>,
}

pub(crate) fn to_i64(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

pub(crate) fn to_u64(n: i64) -> u64 {
    u64::try_from(n).unwrap_or(0)
}

/// The row an admission returns: admitted, requests, tokens, reservation id, reserved tokens.
pub(crate) type AdmitRow = (bool, i64, i64, i64, i64);

/// Runs one of the two admission statements (they take the same parameters).
pub(crate) fn admit_statement(
    connection: &Connection,
    sql: &str,
    request: &AdmitRequest,
) -> rusqlite::Result<Option<AdmitRow>> {
    let key = &request.key;
    connection
        .prepare_cached(sql)?
        .query_row(
            params![
                &*key.scope,
                key.period.id(),
                &*key.identity,
                key.period.end().timestamp_micros(),
                request.tier.as_deref(),
                to_i64(request.reserve_tokens),
                request.reservation_expires_at.timestamp_micros(),
                request.now.timestamp_micros(),
                request.request_limit.map(to_i64),
                request.token_limit.map(to_i64),
                request.fits(&Usage::default()),
                // A reservation without tokens, or expired already, would never count: not
                // stored.
                request.reserve_tokens > 0 && request.reservation_expires_at > request.now,
            ],
            |row| {
                Ok((
                    row.get(0)?,
                    row.get(1)?,
                    row.get(2)?,
                    row.get(3)?,
                    row.get(4)?,
                ))
            },
        )
        .optional()
}

pub(crate) fn reservation_id(id: u64) -> Result<i64, StoreError> {
    i64::try_from(id)
        .map_err(|_| StoreError::Data("reservation id not issued by this store".into()))
}

/// Runs `writes` in order: one alone as it is (an admission's statements decide the same way
/// whatever runs between them), several, or a capped admission, in one transaction that
/// takes the write lock first. Either way nothing is left done when it fails, so that it
/// can go again.
pub(crate) fn run_writes(
    connection: &mut Connection,
    writes: &[Write],
) -> rusqlite::Result<Vec<Option<AdmitRows>>> {
    match writes {
        [write] if !matches!(write, Write::Admit(r) if r.scope_cap.is_some()) => {
            Ok(vec![run_write(connection, write)?])
        }
        writes => {
            let transaction =
                connection.transaction_with_behavior(TransactionBehavior::Immediate)?;
            let results = writes
                .iter()
                .map(|write| run_write(&transaction, write))
                .collect::<rusqlite::Result<_>>()?;
            transaction.commit()?;
            Ok(results)
        }
    }
}

/// One write's statements (a capped admission's must run inside a transaction).
pub(crate) fn run_write(
    connection: &Connection,
    write: &Write,
) -> rusqlite::Result<Option<AdmitRows>> {
    match write {
        Write::Admit(request) if request.scope_cap.is_some() => {
            admit_capped(connection, request).map(Some)
        }
        Write::Admit(request) => admit_one(connection, request).map(|identity| {
            Some(AdmitRows {
                identity,
                scope: None,
            })
        }),
        Write::Settle(key, id, tokens) => {
            connection
                .prepare_cached(statements::SETTLE)?
                .execute(params![
                    &*key.scope,
                    key.period.id(),
                    &*key.identity,
                    id,
                    to_i64(*tokens)
                ])?;
            Ok(None)
        }
        Write::Release(key, id) => {
            connection
                .prepare_cached(statements::RELEASE)?
                .execute(params![&*key.scope, key.period.id(), &*key.identity, id])?;
            Ok(None)
        }
    }
}

/// One counter's admission statement(s). Two statements need no transaction: the insertion
/// decides the same way as the update would have, whatever happened in between.
pub(crate) fn admit_one(
    connection: &Connection,
    request: &AdmitRequest,
) -> rusqlite::Result<AdmitRow> {
    // The common case is one UPDATE; only the first admission of an identity in a period
    // finds no row and goes on to the insertion.
    match admit_statement(connection, statements::ADMIT_UPDATE, request)? {
        Some(row) => Ok(row),
        None => admit_statement(connection, statements::ADMIT_INSERT, request)?
            .ok_or(rusqlite::Error::QueryReturnedNoRows),
    }
}

/// One identity's usage, reservations live at `now` only.
pub(crate) fn usage_of(
    connection: &Connection,
    key: &UsageKey,
    now: DateTime<Utc>,
) -> rusqlite::Result<Usage> {
    let row: Option<(i64, i64, i64)> = connection
        .prepare_cached(statements::USAGE)?
        .query_row(
            params![
                &*key.scope,
                key.period.id(),
                &*key.identity,
                now.timestamp_micros()
            ],
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .optional()?;
    Ok(row
        .map(|(requests, tokens, reserved)| Usage {
            requests: to_u64(requests),
            tokens: to_u64(tokens),
            reserved_tokens: to_u64(reserved),
        })
        .unwrap_or_default())
}

/// An admission capped project-wide. Runs inside a transaction holding SQLite's write lock,
/// so the reads that decide and the writes that count are one atomic step for every
/// connection and process on the file.
pub(crate) fn admit_capped(
    connection: &Connection,
    request: &AdmitRequest,
) -> rusqlite::Result<AdmitRows> {
    let cap = request.scope_cap.unwrap_or_default();
    let scope_request = AdmitRequest {
        key: UsageKey::new(
            request.key.scope.clone(),
            ai_ratelimit_core::SCOPE_IDENTITY,
            request.key.period,
        ),
        tier: None,
        request_limit: cap.request_limit,
        token_limit: cap.token_limit,
        scope_cap: None,
        ..request.clone()
    };
    let row = |admitted: bool, usage: Usage| {
        (
            admitted,
            to_i64(usage.requests),
            to_i64(usage.tokens),
            0,
            to_i64(usage.reserved_tokens),
        )
    };
    let usage = usage_of(connection, &request.key, request.now)?;
    if !request.fits(&usage) {
        return Ok(AdmitRows {
            identity: row(false, usage),
            scope: None,
        });
    }
    let scope_usage = usage_of(connection, &scope_request.key, request.now)?;
    if !cap.fits(&scope_usage) {
        return Ok(AdmitRows {
            identity: row(false, usage),
            scope: Some(row(false, scope_usage)),
        });
    }
    // Both fit under the write lock: both statements admit.
    let identity = admit_one(connection, request)?;
    let scope = admit_one(connection, &scope_request)?;
    Ok(AdmitRows {
        identity,
        scope: Some(scope),
    })
}
