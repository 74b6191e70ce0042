"""Django's PostgreSQL backend with a connection pool that hands out only live
connections and fails fast while the database is down (`ENGINE = "config.postgresql"`)."""
