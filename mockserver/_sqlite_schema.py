"""The SQLite store's schema: its tables, the triggers that keep the running totals, the job
row's write, and `create` (used by `mockserver._sqlite_db.Db`; see `mockserver.sqlite_store`)."""

from __future__ import annotations

import sqlite3

#: The schema's version (`PRAGMA user_version`); older files are rebuilt.
VERSION = 8
SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    one INTEGER PRIMARY KEY CHECK (one = 0), job INTEGER NOT NULL, settings INTEGER NOT NULL,
    job_bytes INTEGER NOT NULL, pending INTEGER NOT NULL, webhook INTEGER NOT NULL,
    jobs INTEGER NOT NULL);
INSERT OR IGNORE INTO state VALUES (0, 0, 0, 0, 0, 0, 0);
CREATE TABLE IF NOT EXISTS jobs (
    id INTEGER PRIMARY KEY, created REAL NOT NULL, finished INTEGER NOT NULL,
    size INTEGER NOT NULL, data BLOB NOT NULL);
CREATE TRIGGER IF NOT EXISTS jobs_in AFTER INSERT ON jobs BEGIN
    UPDATE state SET job_bytes = job_bytes + NEW.size, job = MAX(job, NEW.id),
        jobs = jobs + 1; END;
CREATE TRIGGER IF NOT EXISTS jobs_up AFTER UPDATE OF size ON jobs BEGIN
    UPDATE state SET job_bytes = job_bytes + NEW.size - OLD.size; END;
CREATE TRIGGER IF NOT EXISTS jobs_out AFTER DELETE ON jobs BEGIN
    UPDATE state SET job_bytes = job_bytes - OLD.size, jobs = jobs - 1; END;
CREATE TABLE IF NOT EXISTS settings (scope TEXT PRIMARY KEY, record TEXT NOT NULL,
    stamp INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS hits (name TEXT NOT NULL, time REAL NOT NULL);
CREATE INDEX IF NOT EXISTS hits_name ON hits (name, time);
CREATE TABLE IF NOT EXISTS due (kind TEXT NOT NULL, job INTEGER NOT NULL, due REAL NOT NULL,
    PRIMARY KEY (kind, job));
CREATE INDEX IF NOT EXISTS due_time ON due (kind, due);
CREATE TRIGGER IF NOT EXISTS due_in AFTER INSERT ON due BEGIN
    UPDATE state SET pending = pending + (NEW.kind = 'pending'),
        webhook = webhook + (NEW.kind = 'webhook'); END;
CREATE TRIGGER IF NOT EXISTS due_out AFTER DELETE ON due BEGIN
    UPDATE state SET pending = pending - (OLD.kind = 'pending'),
        webhook = webhook - (OLD.kind = 'webhook'); END;
CREATE TRIGGER IF NOT EXISTS due_kind AFTER UPDATE OF kind ON due BEGIN
    UPDATE state SET pending = pending - (OLD.kind = 'pending') + (NEW.kind = 'pending'),
        webhook = webhook - (OLD.kind = 'webhook') + (NEW.kind = 'webhook'); END;
"""
TABLES = ("state", "counters", "jobs", "journal", "settings", "hits", "due")

PUT = ("INSERT INTO jobs (id, created, finished, size, data) VALUES (?, ?, ?, ?, ?) "
        "ON CONFLICT (id) DO UPDATE SET created = excluded.created, size = excluded.size, "
        "data = excluded.data")


def create(conn: sqlite3.Connection) -> tuple[int, int]:
    """Make the tables (inside the write transaction); a file of another `VERSION` is
    rebuilt. The settings stamp and the newest job id the file knows of."""
    if conn.execute("PRAGMA user_version").fetchone()[0] != VERSION:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"PRAGMA user_version={VERSION}")
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    stamp, newest = conn.execute(
        "SELECT settings, MAX(job, COALESCE((SELECT MAX(id) FROM jobs), 0)) FROM state"
    ).fetchone()
    return int(stamp), int(newest)
