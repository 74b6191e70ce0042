"""Django's PostgreSQL backend, pooling with config.postgresql.pool.LiveConnectionPool.

With a pool, Django "connects" at each request's first query and "closes" (hands the
connection back) at its end, running its whole connection set-up each time. `_set_autocommit`
below skips a part of it that only repeats what the connection already is."""

from __future__ import annotations

from django.db.backends.base.base import NO_DB_ALIAS
from django.db.backends.postgresql import base

from config.postgresql.pool import LiveConnectionPool


class DatabaseWrapper(base.DatabaseWrapper):
    """Django's wrapper; only the pool it builds differs."""

    @property
    def pool(self):
        # Django 5.2's own property, but building our pool. It passes `check=` itself
        # (psycopg's round trip per hand-out when CONN_HEALTH_CHECKS is on); here the
        # hand-out check is the pool's own and CONN_HEALTH_CHECKS only makes it a round
        # trip every time, so the setting can never clash with a `check` option.
        pool_options = self.settings_dict["OPTIONS"].get("pool")
        if self.alias == NO_DB_ALIAS or not pool_options:
            return None
        if self.alias not in self._connection_pools:
            if self.settings_dict.get("CONN_MAX_AGE", 0) != 0:
                raise base.ImproperlyConfigured("Pooling doesn't support persistent connections.")
            options = {} if pool_options is True else dict(pool_options)
            connect_kwargs = self.get_connection_params()
            connect_kwargs["autocommit"] = True  # as Django's: it sets the mode later on
            pool = LiveConnectionPool(
                kwargs=connect_kwargs,
                open=False,
                configure=self._configure_connection,
                round_trip_checks=bool(self.settings_dict["CONN_HEALTH_CHECKS"]),
                **options,
            )
            # As Django's: threads racing here each build one, the first one set wins.
            self._connection_pools.setdefault(self.alias, pool)
        return self._connection_pools[self.alias]

    def _set_autocommit(self, autocommit):
        # Every hand-out sets autocommit, which a pooled connection already has (psycopg
        # takes the connection's lock to set it, even to the value it has).
        if self.connection.autocommit != autocommit:
            super()._set_autocommit(autocommit)
