namespace PrivacySuite.Retention.Sweeping;

/// <summary>
/// The sweep's rules as SQL over one batch of subjects (<c>subject_id &gt; @after and subject_id &lt;= @last</c>), so a
/// batch is decided and removed by the database in one statement instead of travelling to the service row by row.
/// A legal hold always wins (INF-6.4): a held subject yields no request at all, a held category keeps its tokens back.
/// Parameters: @after, @last, @as_of, @months (IWK-2.5's cancellation months), @cancel_action, @category_names
/// (DataCategory's names in the order of their values).
/// </summary>
internal static class SweepSql
{
    /// <summary>
    /// <c>verdicts</c>: one row per subject of the batch not already with the vault, with its holds and the reason, if
    /// any, that removes it as a whole (strongest first). <c>rules</c>: the schedule in force for each category and
    /// purpose, one row per category for purposes without a schedule of their own (null when the category has none).
    /// </summary>
    private const string Verdicts =
        """
        holds as materialized (
            select subject_id, category from legal_holds
            where released_at is null and (subject_id is null or (subject_id > @after and subject_id <= @last))
        ),
        current_schedules as materialized (
            select distinct on (category, purpose) category, purpose, version, period_days, action, clock_trigger
            from retention_schedules order by category, purpose, version desc
        ),
        rules as materialized (
            select c.category, '*' as purpose, s.version, s.period_days, s.action, s.clock_trigger,
                   coalesce((select array_agg(o.purpose) from current_schedules o where o.category = c.category and o.purpose <> '*'), '{}') as own_purposes
            from unnest(@category_names::text[]) as c(category)
            left join current_schedules s on s.category = c.category and s.purpose = '*'
            union all
            select category, purpose, version, period_days, action, clock_trigger, '{}' from current_schedules where purpose <> '*'
        ),
        verdicts as materialized (
            select s.subject_id, s.cancelled_at,
                   exists (select 1 from holds h where h.subject_id = s.subject_id and h.category is null) as subject_held,
                   coalesce((select array_agg(distinct h.category) from holds h
                             where h.category is not null and (h.subject_id is null or h.subject_id = s.subject_id)), '{}') as held_categories,
                   case when s.erased_at is not null then null
                        when s.minor_detected_at is not null then 'erase'
                        when p.action is not null then p.action
                        when (s.cancelled_at at time zone 'UTC' + make_interval(months => @months)) at time zone 'UTC' <= @as_of then @cancel_action
                   end as whole_action,
                   case when s.erased_at is not null then null
                        when s.minor_detected_at is not null then 'minor-without-guardian-consent'
                        when p.action is not null then 'service-termination'
                        when (s.cancelled_at at time zone 'UTC' + make_interval(months => @months)) at time zone 'UTC' <= @as_of then 'account-cancellation'
                   end as whole_reason
            from retention_subjects s
            cross join (select (select action from termination_plans where ends_at <= @as_of) as action) p
            where s.subject_id > @after and s.subject_id <= @last and s.erasure_item_id is null
        )
        """;

    /// <summary>
    /// Joined with <c>inventory_items i</c>, <c>verdicts v</c> and <c>rules r</c>: the items that are due, leaving out
    /// held subjects and held categories (<paramref name="held"/> false) or keeping only the due items a category hold
    /// keeps back (<paramref name="held"/> true).
    /// </summary>
    private static string Due(bool held) =>
        $"""
        i.subject_id > @after and i.subject_id <= @last and i.state = 'active'
        and v.subject_id = i.subject_id and not v.subject_held and {(held ? "" : "not ")}(i.category = any (v.held_categories))
        and r.category = i.category and (r.purpose = i.purpose or (r.purpose = '*' and not (i.purpose = any (r.own_purposes))))
        and (v.whole_action is not null
             or case r.clock_trigger
                    when 'collection' then i.stored_at
                    when 'last-use' then coalesce(i.last_used_at, i.stored_at)
                    when 'account-cancellation' then v.cancelled_at
                    when 'purpose-fulfilled' then (select f.fulfilled_at from purpose_fulfilments f where f.subject_id = i.subject_id and f.purpose = i.purpose)
                end + make_interval(hours => 24 * r.period_days) <= @as_of)
        """;

    /// <summary>What each removed item says, and why it goes (<c>whole</c>: with the whole subject).</summary>
    private const string Removed =
        """
        i.token, i.subject_id, i.category, i.purpose, i.stored_at, i.last_used_at,
        v.whole_action is not null and cardinality(v.held_categories) = 0 as whole,
        coalesce(v.whole_action, r.action) as action,
        coalesce(v.whole_reason, 'schedule:' || r.category || '/' || r.purpose || '/v' || r.version) as reason
        """;

    /// <summary>Subjects a hold kept something of: held as a whole, kept from a whole removal by a category hold, or with due items in a held category.</summary>
    private static readonly string HeldSubjects =
        $"""
        held_subjects as (
            select subject_id from verdicts where subject_held or (whole_action is not null and cardinality(held_categories) > 0)
            union
            select i.subject_id from inventory_items i, verdicts v, rules r
            where cardinality(v.held_categories) > 0 and {Due(held: true)}
        )
        """;

    /// <summary>
    /// The requests made of <paramref name="removed"/> (shaped like <see cref="Removed"/>): one per whole subject (even
    /// without a token: the vault may hold what retention never heard of), one per subject, category, action and reason
    /// otherwise, each with its tokens and what the inventory said of them.
    /// </summary>
    private static string Requests(string removed) =>
        $$"""
        requests as (
            select v.subject_id, null::text as category, v.whole_action as action, v.whole_reason as reason,
                   coalesce(r.tokens, '{}') as tokens, coalesce(r.swept, '{}') as swept
            from verdicts v
            left join (
                select subject_id, array_agg(token) as tokens, array_agg((token, category, purpose, stored_at, last_used_at)::retention_swept_token) as swept
                from {{removed}} where whole group by subject_id
            ) r on r.subject_id = v.subject_id
            where v.whole_action is not null and not v.subject_held and cardinality(v.held_categories) = 0
            union all
            select subject_id, category, action, reason, array_agg(token), array_agg((token, category, purpose, stored_at, last_used_at)::retention_swept_token)
            from {{removed}} where not whole
            group by subject_id, category, action, reason
        )
        """;

    /// <summary>What a batch would request, without changing anything: one row per request, and one 'held' row with the held subjects.</summary>
    public static readonly string Preview =
        $"""
        with {Verdicts},
        doomed as (select {Removed} from inventory_items i, verdicts v, rules r where {Due(held: false)}),
        {HeldSubjects},
        {Requests("doomed")}
        select subject_id, category, action, reason, cardinality(tokens) from requests
        union all
        select null, null, 'held', null, count(*)::int from held_subjects
        """;

    /// <summary>
    /// One batch of a sweep in one statement: deletes the due inventory rows, records a sweep item per request (with
    /// what the rows said), marks whole subjects as with the vault, queues the requests in the outbox with @per_message
    /// removals per <see cref="RemovalsRequested"/>, and moves the sweep's cursor and counters. The delete re-checks its
    /// condition on a row changed since the statement began (a new last use): such a row stays and is not requested.
    /// Further parameters: @sweep, @now, @examined, @per_message, @message_type, @trace_parent.
    /// </summary>
    public static readonly string Sweep =
        $"""
        with {Verdicts},
        gone as (
            delete from inventory_items i using verdicts v, rules r
            where {Due(held: false)}
            returning {Removed}
        ),
        {HeldSubjects},
        {Requests("gone")},
        items as (
            insert into sweep_items (id, sweep_id, subject_id, category, action, reason, tokens, swept, requested_at, state)
            select retention_uuid_v7(@now), @sweep, subject_id, category, action, reason, tokens, swept, @now, 'requested'
            from requests
            returning id, subject_id, category, action, reason, tokens
        ),
        with_vault as (
            update retention_subjects s set erasure_item_id = items.id
            from items
            where items.category is null and s.subject_id = items.subject_id and s.subject_id > @after and s.subject_id <= @last
        ),
        messages as (
            -- Built as json text and parsed once: cheaper than assembling jsonb value by value.
            insert into outbox_messages (message_id, message_type, payload, trace_parent, created_at, next_attempt_at)
            select m.id, @message_type, json_build_object('requestId', m.id, 'removals', m.removals, 'requestedAt', @now)::jsonb, @trace_parent, @now, @now
            from (
                select retention_uuid_v7(@now) as id,
                       json_agg(json_build_object('subjectId', subject_id, 'category', array_position(@category_names::text[], category) - 1,
                                                  'action', action, 'sweepItemId', id, 'tokens', tokens, 'reason', reason)) as removals
                from (select *, (row_number() over () - 1) / @per_message as chunk from items) numbered
                group by chunk
            ) m
        )
        update sweeps s set
            cursor_subject = @last,
            subjects_examined = s.subjects_examined + @examined,
            batches = s.batches + 1,
            items_erasure = s.items_erasure + c.erasures,
            items_anonymisation = s.items_anonymisation + c.anonymisations,
            tokens_requested = s.tokens_requested + c.tokens,
            subjects_held = s.subjects_held + h.held
        from (select count(*) filter (where action = 'erase') as erasures, count(*) filter (where action = 'anonymise') as anonymisations,
                     coalesce(sum(cardinality(tokens)), 0) as tokens from items) c,
             (select count(*) as held from held_subjects) h
        where s.id = @sweep
        returning c.erasures, c.anonymisations
        """;

    /// <summary>
    /// Settings for the batch's transaction: the statement is planned in a millisecond and runs in tens, so compiling it
    /// (JIT) costs more than it saves; its sorts and aggregates stay in memory; and the outbox payloads, tens of
    /// kilobytes each, are compressed with lz4 rather than the much slower default.
    /// </summary>
    public const string BatchSettings = "set local jit = off; set local work_mem = '64MB'; set local default_toast_compression = 'lz4'";

    /// <summary>The last subject of the next batch after @after, and how many subjects it holds (none: null and 0).</summary>
    public const string NextBatch =
        "select max(subject_id), count(*) from (select subject_id from retention_subjects where subject_id > @after order by subject_id limit @limit) b";
}
