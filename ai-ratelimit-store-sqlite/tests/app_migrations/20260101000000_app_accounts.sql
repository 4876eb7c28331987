-- Stands for an application's own migration sharing the database file.
CREATE TABLE app_accounts (id INTEGER PRIMARY KEY, name TEXT NOT NULL);
