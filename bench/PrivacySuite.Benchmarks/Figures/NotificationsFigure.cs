using System.Net.Http.Json;
using MassTransit;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Npgsql;
using PrivacySuite.AppHost.Hosting;
using PrivacySuite.ServiceDefaults.Auth;
using PrivacySuite.ServiceDefaults.Messaging;

namespace PrivacySuite.Benchmarks.Figures;



/// <summary>
/// Notification campaigns through the real notification service (its own process, configured through Aspire's
/// contract): API request, contacts fetched in batches from a vault stand-in (the vault's batch contract), the
/// at-most-once ledger, SMTP to a local server, NoticesDelivered through the outbox. Baseline: plain MassTransit
/// publish + consume of as many messages. Both sides stay up and are measured in alternating rounds (a campaign of
/// <see cref="Messages"/> e-mails against as many plain messages); CPU per e-mail counts every process involved. Also
/// reported, measured once: what the SMTP server accepts from a bare pipelined client with as many connections (the
/// ceiling the campaign cannot pass), for smtp-sink and for maildev.
/// <para>
/// The SMTP server is Postfix's <c>smtp-sink</c> (Debian package postfix): it speaks real SMTP and keeps every mail as a
/// file, for 20-40 µs of CPU a mail. maildev (npm, what the AppHost and the tests start, for its HTTP API) parses and
/// holds every mail in one Node thread: 120-220 µs a mail, more than the whole plain baseline spends per message, so with
/// it the figure measured maildev more than the campaign (docs/benchmarks.md). PRIVACYSUITE_BENCH_SMTP=maildev sends the
/// campaigns themselves to maildev (run with --no-record).
/// </para>
/// </summary>
public sealed class NotificationsFigure : PairedFigure
{
    // E-mails a round; PRIVACYSUITE_BENCH_MESSAGES overrides it for a quick probe (run those with --no-record).
    private static readonly int Messages =
        int.TryParse(Environment.GetEnvironmentVariable("PRIVACYSUITE_BENCH_MESSAGES"), out var count) && count > 0 ? count : 20_000;
    private const int Producers = 32;

    public override string Name => "notifications";

    private static string SmtpServerName => Environment.GetEnvironmentVariable("PRIVACYSUITE_BENCH_SMTP") is "maildev" ? "maildev" : "smtp-sink";

    public override string Description =>
        $"Campaigns of {Messages:N0} e-mails over real SMTP ({SmtpServerName}) with vault look-ups, ledger and outbox, vs plain MassTransit publish + consume of as many messages, in alternating rounds.";

    protected override string Goal => ">= 0.5 (issue 22.2)";

    protected override async Task<Pair> PrepareAsync(BenchContext context, CancellationToken cancellationToken)
    {
        var infrastructure = await context.InfrastructureAsync();
        var mail = await SmtpSink.StartAsync(SmtpServerName, infrastructure.StateDir, cancellationToken);
        context.Progress($"infrastructure up (PostgreSQL durable, RabbitMQ, {mail.Name})");

        var notes = new Dictionary<string, string>();
        foreach (var server in mail.Name == "maildev" ? ["maildev"] : new[] { "smtp-sink", "maildev" })
        {
            // The suite's development server is measured alone too: the record of why the campaigns do not go to it.
            await using var alone = await SmtpSink.StartAsync(server, Path.Combine(infrastructure.StateDir, "ceiling-" + server), cancellationToken);
            var ceiling = await SmtpCeilingAsync(context, alone, cancellationToken);
            notes[$"{server}_alone_mail_s"] = $"{Measure.Number(ceiling.Rate)} ({SmtpConnections} pipelined connections, {Measure.Number(ceiling.Messages)} mails, {server} CPU {Measure.Number(ceiling.CpuMsPerThousand)} ms per 1,000)";
        }

        var campaigns = await CampaignService.StartAsync(context, infrastructure, mail, cancellationToken);
        var plain = await PlainBus.StartAsync(await infrastructure.CreateVirtualHostAsync("bench_plain"), cancellationToken);

        // A warm-up round each: a fresh process spends its first tens of seconds compiling, a service runs for hours.
        await campaigns.CampaignAsync(Messages, cancellationToken);
        await plain.RoundAsync(Messages, Producers, cancellationToken);
        context.Progress("warmed up (a round each)");
        notes["messages_per_round"] = Measure.Number(Messages);

        return new Pair(
            "campaign", campaigns.MeasureAsync,
            "plain", ct => MeasurePlainAsync(plain, ct),
            mail, campaigns, plain)
        {
            Notes = notes,
        };
    }

    private static async Task<Side> MeasurePlainAsync(PlainBus plain, CancellationToken cancellationToken)
    {
        var cpu = ProcessCpu.Read();
        var elapsed = await plain.RoundAsync(Messages, Producers, cancellationToken);
        var used = ProcessCpu.Read() - cpu;
        return new Side(Messages / elapsed.TotalSeconds, used.TotalMs * 1000 / Messages, Also: new Dictionary<string, double>
        {
            ["dotnet_cpu_us_per_op"] = used.DotnetMs * 1000 / Messages,
            ["rabbitmq_cpu_us_per_op"] = used.RabbitMqMs * 1000 / Messages,
        });
    }

    /// <summary>The notification service in its own process, with its vault stand-in, sending campaigns to <see cref="SmtpSink"/>.</summary>
    private sealed class CampaignService : IAsyncDisposable
    {
        private static readonly Dictionary<string, string> Variables = new()
        {
            ["policyVersion"] = "2026-12",
            ["effectiveDate"] = "2026-12-31",
            ["summary"] = "We now keep delivery data for 90 days instead of 180.",
            ["reviewUrl"] = "https://example.com/policy/2026-12",
        };

        private readonly BenchContext _context;
        private readonly VaultStandIn _vault;
        private readonly ChildProcess _service;
        private readonly HttpClient _http;
        private readonly string _database;
        private readonly SmtpSink _mail;
        private int _sent;
        private int _campaigns;

        private CampaignService(BenchContext context, VaultStandIn vault, ChildProcess service, HttpClient http, string database, SmtpSink mail)
        {
            (_context, _vault, _service, _http, _database, _mail) = (context, vault, service, http, database, mail);
        }

        public static async Task<CampaignService> StartAsync(
            BenchContext context, PrivacySuite.Testing.SuiteInfrastructure infrastructure, SmtpSink mail, CancellationToken cancellationToken)
        {
            var credentials = DevCredentials.Generate();
            var vault = await StartVaultStandInAsync(credentials);
            var port = Ports.GetFree();
            var database = await infrastructure.CreateDatabaseAsync("bench_notifications");
            var environment = new Dictionary<string, string?>(credentials.ToEnvironment().ToDictionary(p => p.Key, p => (string?)p.Value))
            {
                ["ASPNETCORE_URLS"] = $"http://127.0.0.1:{port}",
                ["ASPNETCORE_ENVIRONMENT"] = "Production",
                ["ConnectionStrings__notificationsdb"] = database,
                ["ConnectionStrings__rabbitmq"] = await infrastructure.CreateVirtualHostAsync("bench_notifications"),
                ["ConnectionStrings__smtp"] = mail.ConnectionString,
                ["PrivacySuite__Notifications__ContactKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
                ["PrivacySuite__Notifications__Webhooks__SecretKey"] = Convert.ToHexStringLower(System.Security.Cryptography.RandomNumberGenerator.GetBytes(16)),
                ["services__vault__http__0"] = vault.Address,
                ["PrivacySuite__Region"] = "beijing",
                ["OTEL_SERVICE_NAME"] = "notifications",
                ["Logging__LogLevel__Default"] = "Warning",
                // The bench measures the path, not a contracted rate: the e-mail limit is set out of the way.
                ["PrivacySuite__Notifications__RatePerSecond__email"] = "1000000",
                ["DOTNET_gcServer"] = "0",
                // Tier-up as soon as a method is hot. By default the runtime waits until no new method has been compiled for
                // 100 ms, which a fresh service in its warm-up round never reaches: the tier-1 compilation of EF Core, Npgsql
                // and MassTransit code (about 6,000 methods) then ran in the first 10-15 s of the measured round, 40-50% of
                // the service's CPU there. With this it runs in the warm-up round, as the warm-up is meant to ensure.
                ["DOTNET_TC_CallCountingDelayMs"] = "0",
            };
            // A probe may try the service's own settings (PrivacySuite__Notifications__Concurrency=...) and runtime settings
            // (PRIVACYSUITE_BENCH_SERVICE_DOTNET_TieredPGO=0 becomes DOTNET_TieredPGO=0 for the service only); run those with --no-record.
            foreach (var (key, value) in Environment.GetEnvironmentVariables().Cast<System.Collections.DictionaryEntry>().Select(e => ((string)e.Key, (string?)e.Value)))
            {
                var name = key.StartsWith("PrivacySuite__Notifications__", StringComparison.Ordinal) ? key
                    : key.StartsWith("PRIVACYSUITE_BENCH_SERVICE_DOTNET_", StringComparison.Ordinal) ? key["PRIVACYSUITE_BENCH_SERVICE_".Length..]
                    : null;
                if (name is not null)
                {
                    environment[name] = value;
                    context.Progress($"service setting from the environment: {name}={value}");
                }
            }

            var dll = Path.Combine(RepositoryRoot(), "services", "Notifications", "bin", "Release", "net10.0", "PrivacySuite.Notifications.dll");
            var service = ChildProcess.Start("dotnet", [dll], environment, line => { if (line.Contains("fail", StringComparison.OrdinalIgnoreCase)) context.Progress($"service: {line}"); },
                workingDirectory: Path.GetDirectoryName(dll));
            var http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}"), Timeout = TimeSpan.FromMinutes(2) };
            http.DefaultRequestHeaders.Add(AuthenticationExtensions.ApiKeyHeader, credentials.ProductBackendApiKey);
            await WaitUntilHealthyAsync(http, service, cancellationToken);
            context.Progress("notification service up (own process)");
            return new CampaignService(context, vault, service, http, database, mail);
        }

        /// <summary>One measured campaign: e-mails per second, CPU per e-mail in every process, PostgreSQL's work per e-mail.</summary>
        public async Task<Side> MeasureAsync(CancellationToken cancellationToken)
        {
            var calls = _vault.Calls;
            var pg = await PostgresCounters.ReadAsync(_database, cancellationToken);
            var cpu = (ProcessCpu.Read(), ProcessCpu.OfProcess(_service.Id), ProcessCpu.OfProcess(_mail.ProcessId));
            var elapsed = await CampaignAsync(Messages, cancellationToken);
            var shared = ProcessCpu.Read() - cpu.Item1;
            var serviceMs = ProcessCpu.OfProcess(_service.Id) - cpu.Item2;
            var mailMs = ProcessCpu.OfProcess(_mail.ProcessId) - cpu.Item3;
            var pgAfter = await PostgresCounters.ReadAsync(_database, cancellationToken);
            double PerMail(double ms) => ms * 1000 / Messages;
            return new Side(Messages / elapsed.TotalSeconds, PerMail(serviceMs + mailMs + shared.TotalMs), Also: new Dictionary<string, double>
            {
                ["notifications_cpu_us_per_op"] = PerMail(serviceMs),
                [$"{_mail.Name}_cpu_us_per_op"] = PerMail(mailMs),
                ["postgres_cpu_us_per_op"] = PerMail(shared.PostgresMs),
                ["rabbitmq_cpu_us_per_op"] = PerMail(shared.RabbitMqMs),
                ["bench_and_vault_stand_in_cpu_us_per_op"] = PerMail(shared.DotnetMs),
                ["transactions_per_op"] = (pgAfter.Transactions - pg.Transactions) / (double)Messages,
                ["wal_flushes_per_op"] = (pgAfter.WalFlushes - pg.WalFlushes) / (double)Messages,
                ["vault_calls_per_1000"] = (_vault.Calls - calls) * 1000.0 / Messages,
            });
        }

        /// <summary>Sends a campaign of <paramref name="count"/> e-mails and waits until every one is delivered and reported.</summary>
        public async Task<TimeSpan> CampaignAsync(int count, CancellationToken cancellationToken)
        {
            var prefix = $"c{++_campaigns}";
            var subjects = Enumerable.Range(0, count).Select(i => $"{prefix}-{i}").ToArray();
            Guid requestId = default;
            var elapsed = await Measure.TimeAsync(async () =>
            {
                using var request = new HttpRequestMessage(HttpMethod.Post, "/v1/notices")
                {
                    Content = JsonContent.Create(new { noticeType = "policy-update", subjectIds = subjects, variables = Variables }),
                };
                request.Headers.Add("Idempotency-Key", Guid.NewGuid().ToString());
                using var response = await _http.SendAsync(request, cancellationToken);
                response.EnsureSuccessStatusCode();
                requestId = (await response.Content.ReadFromJsonAsync<Progress>(cancellationToken))!.RequestId;

                var lastReport = DateTime.UtcNow;
                while (true)
                {
                    var progress = (await _http.GetFromJsonAsync<Progress>($"/v1/notices/{requestId}", cancellationToken))!;
                    if (progress.Pending == 0 && await UnsentEventsAsync(_database, cancellationToken) == 0)
                    {
                        break;
                    }

                    if (DateTime.UtcNow - lastReport > TimeSpan.FromSeconds(5))
                    {
                        _context.Progress($"campaign: {progress.Delivered:N0} delivered, {progress.Failed:N0} failed, {progress.Pending:N0} pending");
                        lastReport = DateTime.UtcNow;
                    }

                    await Task.Delay(200, cancellationToken);
                }
            });

            var final = (await _http.GetFromJsonAsync<Progress>($"/v1/notices/{requestId}", cancellationToken))!;
            _sent += count;
            var received = _mail.Received();
            if (final.Delivered != count || received != _sent)
            {
                throw new InvalidOperationException(
                    $"A campaign of {count} delivered {final.Delivered} ({final.Failed} failed), and {_mail.Name} holds {received} mails where {_sent} were sent.");
            }

            return elapsed;
        }

        public async ValueTask DisposeAsync()
        {
            _context.Progress($"heap-only updates: {await HotUpdatesAsync(_database, CancellationToken.None)}");
            await _service.StopAsync(ChildProcess.SigTerm, TimeSpan.FromSeconds(20));
            await _service.DisposeAsync();
            _http.Dispose();
            await _vault.DisposeAsync();
        }
    }

    /// <summary>Heap-only updates of the two tables every e-mail updates, over both rounds: what their fillfactor buys.</summary>
    private static async Task<string> HotUpdatesAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "select relname || ' ' || n_tup_hot_upd || ' of ' || n_tup_upd from pg_stat_user_tables where relname in ('deliveries', 'send_attempts') order by relname",
            connection);
        var parts = new List<string>();
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        while (await reader.ReadAsync(cancellationToken))
        {
            parts.Add(reader.GetString(0));
        }

        return string.Join(", ", parts);
    }

    private static async Task<long> UnsentEventsAsync(string database, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(database);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand("select count(*) from outbox_messages where sent_at is null", connection);
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }

    private static async Task WaitUntilHealthyAsync(HttpClient http, ChildProcess service, CancellationToken cancellationToken)
    {
        var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(60);
        while (true)
        {
            if (service.HasExited)
            {
                throw new InvalidOperationException("The notification service exited during start-up; build it with dotnet build -c Release.");
            }

            try
            {
                using var health = await http.GetAsync("/health", cancellationToken);
                if (health.IsSuccessStatusCode)
                {
                    return;
                }
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }

            if (DateTime.UtcNow > deadline)
            {
                throw new TimeoutException("The notification service was not healthy within 60 s.");
            }

            await Task.Delay(200, cancellationToken);
        }
    }

    private static async Task<VaultStandIn> StartVaultStandInAsync(DevCredentials credentials)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.Logging.ClearProviders();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        var app = builder.Build();
        var standIn = new VaultStandIn(app);

        // The vault's batch contract: POST /v1/subjects/contacts { subjectIds: [...] } for role service.
        app.MapPost("/v1/subjects/contacts", async (ContactsLookup lookup, HttpRequest request) =>
        {
            Interlocked.Increment(ref standIn.Calls);
            Interlocked.Add(ref standIn.Subjects, lookup.SubjectIds.Count);
            var header = request.Headers.Authorization.ToString();
            return header.StartsWith("Bearer ", StringComparison.Ordinal) &&
                   await credentials.ValidateServiceTokenAsync(header[7..]) is { } claims && claims.Roles.Contains(SuiteRoles.Service)
                ? Results.Json(new
                {
                    subjects = lookup.SubjectIds.Select(id => new
                    {
                        subjectId = id, status = "found", language = "en", channels = new[] { new { channel = "email", address = $"{id}@bench.example" } },
                    }),
                })
                : Results.Unauthorized();
        });
        await app.StartAsync();
        standIn.Address = app.Urls.First();
        return standIn;
    }

    private static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "PrivacySuite.sln")))
            {
                return dir.FullName;
            }
        }

        throw new InvalidOperationException("PrivacySuite.sln was not found above the benchmark's folder.");
    }

    private sealed record Progress(Guid RequestId, int Pending, int Delivered, int Failed);

    private sealed record ContactsLookup(IReadOnlyList<string> SubjectIds);

    private sealed record Ceiling(double Rate, int Messages, double CpuMsPerThousand);

    // The best of 1 to 64 pipelined sessions in a probe on this machine (more sessions cost maildev more per mail).
    private const int SmtpConnections = 32;

    /// <summary>
    /// What the SMTP server accepts from a bare client: the campaign's message size, pipelined MAIL/RCPT/DATA, sessions
    /// reused, no database, no vault. No campaign through that server can be faster than this.
    /// </summary>
    private static async Task<Ceiling> SmtpCeilingAsync(BenchContext context, SmtpSink mail, CancellationToken cancellationToken)
    {
        var count = Math.Max(1000, Messages / 5);
        var body = System.Text.Encoding.ASCII.GetBytes(
            "From: notices@privacysuite.local\r\nTo: ceiling@bench.example\r\nSubject: =?UTF-8?B?UHJpdmFjeSBwb2xpY3kgdXBkYXRl?=\r\n" +
            "Message-ID: <ceiling@privacysuite>\r\nMIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
            string.Join("\r\n", Enumerable.Repeat(new string('Q', 76), 12)) + "\r\n.\r\n");
        var next = 0;
        var cpu = ProcessCpu.OfProcess(mail.ProcessId);
        var elapsed = await Measure.TimeAsync(() => Task.WhenAll(Enumerable.Range(0, SmtpConnections).Select(async _ =>
        {
            using var tcp = new System.Net.Sockets.TcpClient { NoDelay = true };
            await tcp.ConnectAsync("127.0.0.1", mail.Port, cancellationToken);
            var stream = tcp.GetStream();
            using var reader = new StreamReader(stream, System.Text.Encoding.ASCII);
            async Task<int> ReplyAsync()
            {
                while (true)
                {
                    var line = await reader.ReadLineAsync(cancellationToken) ?? throw new IOException("The SMTP server closed the connection.");
                    if (line.Length == 3 || line[3] != '-')
                    {
                        return int.Parse(line.AsSpan(0, 3), provider: System.Globalization.CultureInfo.InvariantCulture);
                    }
                }
            }

            await ReplyAsync();
            await stream.WriteAsync("EHLO ceiling\r\n"u8.ToArray(), cancellationToken);
            await ReplyAsync();
            int i;
            while ((i = Interlocked.Increment(ref next)) <= count)
            {
                await stream.WriteAsync(System.Text.Encoding.ASCII.GetBytes($"MAIL FROM:<notices@privacysuite.local>\r\nRCPT TO:<ceiling-{i}@bench.example>\r\nDATA\r\n"), cancellationToken);
                if (await ReplyAsync() != 250 | await ReplyAsync() != 250 | await ReplyAsync() != 354)
                {
                    throw new InvalidOperationException("The SMTP server refused a message of the ceiling round.");
                }

                await stream.WriteAsync(body, cancellationToken);
                if (await ReplyAsync() != 250)
                {
                    throw new InvalidOperationException("The SMTP server did not accept a message of the ceiling round.");
                }
            }
        })));
        var ceiling = new Ceiling(count / elapsed.TotalSeconds, count, (ProcessCpu.OfProcess(mail.ProcessId) - cpu) * 1000 / count);
        context.Progress($"{mail.Name} alone: {ceiling.Rate:0} mails/s from a bare pipelined client ({SmtpConnections} connections)");
        return ceiling;
    }

    /// <summary>
    /// An SMTP server for the figure: Postfix's smtp-sink (Debian package postfix, installed by eng/install-deps.sh), a C
    /// test server that writes each message to a file, or maildev (npm, the suite's development and test server).
    /// </summary>
    private sealed class SmtpSink : IAsyncDisposable
    {
        private readonly IAsyncDisposable _server;
        private readonly Func<int> _received;

        private readonly string? _memoryFolder;

        private SmtpSink(string name, int port, int processId, IAsyncDisposable server, Func<int> received, string? memoryFolder = null)
        {
            (Name, Port, ProcessId, _server, _received, _memoryFolder) = (name, port, processId, server, received, memoryFolder);
        }

        public string Name { get; }

        public int Port { get; }

        public int ProcessId { get; }

        public string ConnectionString => $"smtp://127.0.0.1:{Port}";

        public int Received() => _received();

        public static async Task<SmtpSink> StartAsync(string name, string stateDir, CancellationToken cancellationToken)
        {
            if (name == "maildev")
            {
                var maildev = new MailDevServer(new MailDevServerOptions("maildev-bench", Path.Combine(stateDir, "maildev"), Ports.GetFree(), Ports.GetFree()), _ => { });
                await maildev.StartAsync(cancellationToken);
                var mailDir = Path.Combine(stateDir, "maildev", "maildev-bench", "mail");
                return new SmtpSink("maildev", maildev.Options.SmtpPort, maildev.Process!.Id, maildev,
                    () => Directory.EnumerateFiles(mailDir, "*.eml").Count());
            }

            const string program = "/usr/sbin/smtp-sink";
            if (!File.Exists(program))
            {
                throw new InvalidOperationException("smtp-sink is missing: run ./eng/install-deps.sh (Debian package postfix, 'No configuration').");
            }

            // In memory (tmpfs): a figure's 140,000 files written to and then deleted from the disk (ext4, mounted with
            // online discard) left the disk busy for minutes after the run. The next run, back to back, then paid 2-5 times
            // as much CPU per e-mail in smtp-sink, PostgreSQL and the service (ratio 0.18 after 0.48).
            // smtp-sink drops root for the named user, who must be able to write the dump folder.
            var dumps = Path.Combine("/dev/shm", $"{Path.GetFileName(Path.TrimEndingDirectorySeparator(Environment.GetEnvironmentVariable("PRIVACYSUITE_TEST_ROOT") ?? "privacysuite-bench"))}-smtp-sink-{Guid.NewGuid():N}");
            Directory.CreateDirectory(dumps);
            File.SetUnixFileMode(dumps, (UnixFileMode)0x1FF);
            var port = Ports.GetFree();
            // A folder per second: one folder holding 110,000 files made each new file cost smtp-sink 3-5 times as much.
            var sink = ChildProcess.Start(program, ["-u", "nobody", "-d", Path.Combine(dumps, "%H%M%S/mail."), $"127.0.0.1:{port}", "256"],
                new Dictionary<string, string?>(), _ => { });
            var deadline = DateTime.UtcNow + TimeSpan.FromSeconds(10);
            while (!await Ports.AcceptsConnectionsAsync(port, cancellationToken))
            {
                if (sink.HasExited || DateTime.UtcNow > deadline)
                {
                    throw new InvalidOperationException("smtp-sink did not start.");
                }

                await Task.Delay(50, cancellationToken);
            }

            return new SmtpSink("smtp-sink", port, sink.Id, sink, () => Directory.EnumerateFiles(dumps, "*", SearchOption.AllDirectories).Count(), dumps);
        }

        public async ValueTask DisposeAsync()
        {
            await _server.DisposeAsync();
            if (_memoryFolder is not null)
            {
                Directory.Delete(_memoryFolder, recursive: true);
            }
        }
    }

    private sealed class VaultStandIn(WebApplication app) : IAsyncDisposable
    {
        public int Calls;

        public int Subjects;

        public string Address { get; set; } = "";

        public ValueTask DisposeAsync() => app.DisposeAsync();
    }
}
