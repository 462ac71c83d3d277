#ifndef LORAFS_CLIBPQ_SHIM_H
#define LORAFS_CLIBPQ_SHIM_H
#include <libpq-fe.h>
#include <poll.h>
// The diagnostic field codes are character macros ('C', 'M'), which Swift does not import.
static inline const char *lorafs_pq_sqlstate(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_SQLSTATE); }
static inline const char *lorafs_pq_primary_message(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY); }
static inline const char *lorafs_pq_detail(const PGresult *r) { return PQresultErrorField(r, PG_DIAG_MESSAGE_DETAIL); }
#endif
