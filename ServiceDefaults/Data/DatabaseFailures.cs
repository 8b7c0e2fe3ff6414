using Microsoft.EntityFrameworkCore;
using Npgsql;

namespace PrivacySuite.ServiceDefaults.Data;

public static class DatabaseFailures
{
    /// <summary>
    /// Whether <paramref name="e"/> (or an exception inside it) says the database was away for a moment and the same
    /// statement may succeed on a fresh connection: a broken or refused connection, or a server that shut down or is
    /// starting (a failover, a standby's restart). Npgsql's own IsTransient does not count the shutdown states.
    /// </summary>
    public static bool IsTransient(Exception? e)
    {
        for (; e is not null; e = e.InnerException)
        {
            if (e is PostgresException { SqlState: PostgresErrorCodes.AdminShutdown or PostgresErrorCodes.CrashShutdown or PostgresErrorCodes.CannotConnectNow }
                or NpgsqlException { IsTransient: true })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Whether saving failed on a unique constraint: the row (an id, an idempotency key) was there already.</summary>
    public static bool IsUniqueViolation(this DbUpdateException e) => e.InnerException is PostgresException { SqlState: PostgresErrorCodes.UniqueViolation };
}
