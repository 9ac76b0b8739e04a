"""The SQLite store's schema: its tables, the triggers that keep the due counts, and `create`
(used by `mockserver._sqlite_db.Db`; see `mockserver.sqlite_store`). Jobs are not in it: they
live in a ring beside it (`mockserver._sqlite_jobs`)."""

from __future__ import annotations

import sqlite3

#: The schema's version (`PRAGMA user_version`); older files are rebuilt.
VERSION = 9
SCHEMA = """
CREATE TABLE IF NOT EXISTS state (
    one INTEGER PRIMARY KEY CHECK (one = 0), job INTEGER NOT NULL, settings INTEGER NOT NULL,
    pending INTEGER NOT NULL, webhook INTEGER NOT NULL);
INSERT OR IGNORE INTO state VALUES (0, 0, 0, 0, 0);
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
#: Every table any version made (an older file's are dropped).
TABLES = ("state", "counters", "jobs", "journal", "settings", "hits", "due")


def create(conn: sqlite3.Connection) -> tuple[int, int]:
    """Make the tables (inside the write transaction); a file of another `VERSION` is
    rebuilt. The settings stamp and the newest job id a reset recorded."""
    if conn.execute("PRAGMA user_version").fetchone()[0] != VERSION:
        for table in TABLES:
            conn.execute(f"DROP TABLE IF EXISTS {table}")
        conn.execute(f"PRAGMA user_version={VERSION}")
    for statement in SCHEMA.split(";\n"):
        if statement.strip():
            conn.execute(statement)
    stamp, newest = conn.execute("SELECT settings, job FROM state").fetchone()
    return int(stamp), int(newest)
