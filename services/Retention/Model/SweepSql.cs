namespace PrivacySuite.Retention.Model;

/// <summary>
/// The sweep's rules as SQL over one batch of subjects (<c>subject_id &gt; @after and subject_id &lt;= @last</c>), so a
/// batch is decided and removed by the database in one statement instead of travelling to the service row by row.
/// A legal hold always wins (INF-6.4): a held subject yields no request at all, a held category keeps its tokens back.
/// Parameters: @after, @last, @as_of, @months (IWK-2.5's cancellation months), @cancel_action, @category_names
/// (DataCategory's names in the order of their values), @per_message (subjects per request to the vault).
/// </summary>
internal static class SweepSql
{
    /// <summary>
    /// <c>rules</c>: the schedule in force for each category and purpose, one row per category for purposes without a
    /// schedule of their own (null when the category has none), with the instant before which its clock has run out, and
    /// whether it goes <c>by_range</c>: a category's only schedule, counted from collection, which the vault can apply
    /// itself (see <see cref="Sweep"/>).
    /// <c>batch</c>: the subjects of the batch, and whether each is <c>special</c>: held, with a reason to go as a whole,
    /// cancelled (the account-cancellation clock), with the vault, or erased as a whole already (so no request by range
    /// names it again; a hold on a category everywhere makes every subject special). <c>verdicts</c>: the special subjects with their holds and the reason, if any, that removes them as a
    /// whole (strongest first). Every other subject is decided by <c>rules</c> alone, which spares the common case all but
    /// one look-up per record. A subject's part of the batch (one request to the vault by tokens each) is
    /// <c>width_bucket(subject_id collate "C", (select b from bounds))</c>: <c>bounds</c> holds every @per_message-th
    /// subject of the batch in that order, so no part has more, and the bytewise order costs a fraction of the collation's.
    /// It is worked out only when a request by tokens needs it. <c>range_part</c> numbers the parts of requests by range.
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
            select row_number() over () as rule_no, * from (
            select c.category, '*' as purpose, s.action, s.clock_trigger, @as_of - make_interval(hours => 24 * s.period_days) as expired_before,
                   'schedule:' || c.category || '/*/v' || s.version as reason,
                   coalesce((select array_agg(o.purpose) from current_schedules o where o.category = c.category and o.purpose <> '*'), '{}') as own_purposes,
                   coalesce(s.clock_trigger = 'collection', false)
                   and not exists (select 1 from current_schedules o where o.category = c.category and o.purpose <> '*') as by_range
            from unnest(@category_names::text[]) as c(category)
            left join current_schedules s on s.category = c.category and s.purpose = '*'
            union all
            select category, purpose, action, clock_trigger, @as_of - make_interval(hours => 24 * period_days),
                   'schedule:' || category || '/' || purpose || '/v' || version, '{}', false
            from current_schedules where purpose <> '*'
            ) r
        ),
        ended as materialized (select (select action from termination_plans where ends_at <= @as_of) as action),
        batch as materialized (
            select s.*,
                   s.minor_detected_at is not null or s.cancelled_at is not null or s.erasure_item_id is not null or s.erased_at is not null
                   or p.action is not null
                   or s.subject_id in (select h.subject_id from holds h) or exists (select 1 from holds h where h.subject_id is null) as special,
                   (row_number() over (order by s.subject_id) - 1) / @per_message as range_part
            from retention_subjects s, ended p
            where s.subject_id > @after and s.subject_id <= @last
        ),
        bounds as materialized (
            select coalesce(array_agg(c order by c) filter (where n > 0 and n % @per_message = 0), '{}') as b
            from (select subject_id collate "C" as c, row_number() over (order by subject_id collate "C") - 1 as n from batch) p
        ),
        verdicts as materialized (
            select s.subject_id, width_bucket(s.subject_id collate "C", (select b from bounds)) as part, s.cancelled_at, s.erasure_item_id is not null as with_vault,
                   exists (select 1 from holds h where h.subject_id = s.subject_id and h.category is null) as subject_held,
                   -- A category hold keeps what the subject holds of that category, as the vault decides: a hold on a
                   -- category the subject has nothing of does not stop their removal as a whole (and its certificate).
                   coalesce((select array_agg(distinct h.category) from holds h
                             where h.category is not null and (h.subject_id is null or h.subject_id = s.subject_id)
                               and exists (select 1 from inventory_items i where i.category = h.category and i.subject_id = s.subject_id)), '{}') as held_categories,
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
            from batch s, ended p
            where s.special
        )
        """;

    /// <summary>An inventory item <c>i</c> of the batch that the schedule <c>r</c> applies to.</summary>
    private const string Scheduled =
        """
        i.subject_id > @after and i.subject_id <= @last and i.state = 'active'
        and r.category = i.category and (r.purpose = i.purpose or (r.purpose = '*' and not (i.purpose = any (r.own_purposes))))
        """;

    /// <summary>When the clock of <c>r</c> started for item <c>i</c> (<paramref name="cancelledAt"/>: the subject's cancellation).</summary>
    private static string ClockStart(string cancelledAt) =>
        $"""
        case r.clock_trigger
            when 'collection' then i.stored_at
            when 'last-use' then coalesce(i.last_used_at, i.stored_at)
            when 'account-cancellation' then {cancelledAt}
            when 'purpose-fulfilled' then (select f.fulfilled_at from purpose_fulfilments f where f.subject_id = i.subject_id and f.purpose = i.purpose)
        end
        """;

    /// <summary>
    /// Joined with <c>rules r</c>: due items of subjects that are not special (<c>rules</c> alone decide), leaving out the
    /// rules that go by range unless <paramref name="byRange"/>.
    /// </summary>
    private static string DueBySchedule(bool byRange) =>
        $"""
        {Scheduled}
        and not exists (select 1 from verdicts v where v.subject_id = i.subject_id)
        and {ClockStart("null::timestamptz")} <= r.expired_before
        {(byRange ? "" : "and not r.by_range and i.category = any (array(select category from rules where not by_range))")}
        """;

    /// <summary>
    /// Joined with <c>verdicts v</c> and <c>rules r</c>: due items of subjects with a verdict, leaving out held subjects
    /// and held categories (<paramref name="held"/> false) or keeping only the due items a category hold keeps back
    /// (<paramref name="held"/> true).
    /// </summary>
    private static string DueByVerdict(bool held) =>
        $"""
        {Scheduled}
        and v.subject_id = i.subject_id and not v.with_vault and not v.subject_held and {(held ? "" : "not ")}(i.category = any (v.held_categories))
        and (v.whole_action is not null or {ClockStart("v.cancelled_at")} <= r.expired_before)
        """;

    /// <summary>
    /// What each removed item says, and why it goes (<c>whole</c>: with the whole subject), for the two kinds of due
    /// items; by schedule, the rule's number stands for its category, action and reason (fewer and narrower values per record).
    /// </summary>
    private const string RemovedBySchedule =
        "i.token, i.subject_id, i.purpose, i.stored_at, i.last_used_at, r.rule_no, width_bucket(i.subject_id collate \"C\", (select b from bounds)) as part";

    private const string RemovedByVerdict =
        """
        i.token, i.subject_id, i.category, i.purpose, i.stored_at, i.last_used_at,
        v.whole_action is not null and cardinality(v.held_categories) = 0 as whole,
        coalesce(v.whole_action, r.action) as action, coalesce(v.whole_reason, r.reason) as reason, v.part
        """;

    /// <summary>Subjects a hold kept something of: held as a whole, kept from a whole removal by a category hold, or with due items in a held category.</summary>
    private static readonly string HeldSubjects =
        $"""
        held_subjects as (
            select subject_id from verdicts where not with_vault and (subject_held or (whole_action is not null and cardinality(held_categories) > 0))
            union
            select i.subject_id from inventory_items i, verdicts v, rules r
            where cardinality(v.held_categories) > 0 and {DueByVerdict(held: true)}
        )
        """;

    /// <summary>Subjects going as a whole (even without a token: the vault may hold what retention never heard of).</summary>
    private const string WholeSubjects =
        "select subject_id, whole_action as action, whole_reason as reason from verdicts where whole_action is not null and not with_vault and not subject_held and cardinality(held_categories) = 0";

    /// <summary>What a batch would request, without changing anything: one row per subject and request, and one 'held' row with the held subjects.</summary>
    public static readonly string Preview =
        $"""
        with {Verdicts},
        doomed as (
            select i.token, i.subject_id, i.category, i.purpose, i.stored_at, i.last_used_at, false as whole, r.action, r.reason, 0
            from inventory_items i, rules r where {DueBySchedule(byRange: true)}
            union all
            select {RemovedByVerdict} from inventory_items i, verdicts v, rules r where {DueByVerdict(held: false)}
        ),
        {HeldSubjects}
        select w.subject_id, null, w.action, w.reason, (select count(*) from doomed d where d.subject_id = w.subject_id and d.whole)::int
        from ({WholeSubjects}) w
        union all
        select subject_id, category, action, reason, count(*)::int from doomed where not whole group by subject_id, category, action, reason
        union all
        select null, null, 'held', null, count(*)::int from held_subjects
        """;

    /// <summary>
    /// One batch of a sweep in one statement. It deletes the due inventory rows and records each request to the vault in a
    /// sweep item, queued in the outbox with the item's id as the request id, and moves the sweep's cursor and counters.
    /// <list type="bullet">
    /// <item>By tokens (<see cref="RemovalsRequested"/>): the subjects going as a whole, or one category's due tokens, for
    /// one action and reason and up to a message's worth of subjects (a part of the batch); the item keeps what each
    /// deleted row said, so a refusal can put it back. Whole subjects are marked as with the vault.</item>
    /// <item>By range (<see cref="ExpiredRemovalsRequested"/>): the due items of subjects that are not special under a rule
    /// that goes by range. One request per rule and up to @per_message such subjects in key order names the rule's
    /// category and cut-off and the subjects, not the tokens; it is queued only where an item of those subjects (or of a
    /// special subject between them, of which the vault then finds nothing) is due. These rows are deleted by the statement
    /// itself, with no RETURNING: its row count is how many it removed, and no row is kept or travels further. The probe
    /// and the delete see the same snapshot, so nothing is deleted for subjects without a request.</item>
    /// </list>
    /// The deletes re-check their condition on a row changed since the statement began (a new last use): such a row stays
    /// and is not requested. Further parameters: @sweep, @now, @examined, @per_message, @message_type (by tokens),
    /// @expired_message_type (by range), @trace_parent.
    /// </summary>
    public static readonly string Sweep =
        $$"""
        with {{Verdicts}},
        gone_by_schedule as (
            delete from inventory_items i using rules r where {{DueBySchedule(byRange: false)}}
            returning {{RemovedBySchedule}}
        ),
        gone_by_verdict as (
            delete from inventory_items i using verdicts v, rules r where {{DueByVerdict(held: false)}}
            returning {{RemovedByVerdict}}
        ),
        {{HeldSubjects}},
        whole as (
            select w.action, w.reason, v.part, array_agg(w.subject_id) as subject_ids
            from ({{WholeSubjects}}) w join verdicts v using (subject_id) group by 1, 2, 3
        ),
        range_parts as (
            select min(subject_id) as first_subject, max(subject_id) as last_subject, array_agg(subject_id order by subject_id) as subject_ids
            from batch where not special group by range_part
        ),
        requests as (
            select r.category, r.action, r.reason, '{}'::text[] as subject_ids, g.tokens, g.token_subjects, '{}'::text[] as token_categories,
                   g.purposes, g.stored_at, g.last_used_at, null::timestamptz as stored_before
            from (
                select rule_no, array_agg(token) as tokens, array_agg(subject_id) as token_subjects, array_agg(purpose) as purposes,
                       array_agg(stored_at) as stored_at, array_agg(last_used_at) as last_used_at
                from gone_by_schedule group by rule_no, part
            ) g join rules r using (rule_no)
            union all
            select category, action, reason, '{}', array_agg(token), array_agg(subject_id), '{}', array_agg(purpose), array_agg(stored_at), array_agg(last_used_at), null
            from gone_by_verdict where not whole
            group by category, action, reason, part
            union all
            select null, w.action, w.reason, w.subject_ids, coalesce(t.tokens, '{}'), coalesce(t.token_subjects, '{}'), coalesce(t.token_categories, '{}'),
                   coalesce(t.purposes, '{}'), coalesce(t.stored_at, '{}'), coalesce(t.last_used_at, '{}'), null
            from whole w
            left join (
                select action, reason, part, array_agg(token) as tokens, array_agg(subject_id) as token_subjects, array_agg(category) as token_categories,
                       array_agg(purpose) as purposes, array_agg(stored_at) as stored_at, array_agg(last_used_at) as last_used_at
                from gone_by_verdict where whole group by 1, 2, 3
            ) t on t.action = w.action and t.reason = w.reason and t.part = w.part
            union all
            select r.category, r.action, r.reason, p.subject_ids, '{}', '{}', '{}', '{}', '{}', '{}', r.expired_before
            from range_parts p
            cross join rules r
            cross join lateral (
                select 1 from inventory_items i
                where i.subject_id >= p.first_subject and i.subject_id <= p.last_subject and i.state = 'active'
                  and i.category = r.category and i.stored_at < r.expired_before
                limit 1
            ) due
            where r.by_range
        ),
        items as (
            insert into sweep_items (id, sweep_id, category, action, reason, subject_ids, tokens, token_subjects, token_categories, purposes,
                                     stored_at, last_used_at, stored_before, requested_at, state)
            select retention_uuid_v7(@now), @sweep, category, action, reason, subject_ids, tokens, token_subjects, token_categories, purposes,
                   stored_at, last_used_at, stored_before, @now, 'requested'
            from requests
            returning id, category, action, reason, subject_ids, tokens, token_subjects, stored_before
        ),
        with_vault as (
            update retention_subjects s set erasure_item_id = items.id
            from items, unnest(items.subject_ids) as w(subject_id)
            where items.category is null and s.subject_id = w.subject_id and s.subject_id > @after and s.subject_id <= @last
        ),
        messages as (
            insert into outbox_messages (message_id, message_type, payload, trace_parent, created_at, next_attempt_at)
            select id, case when stored_before is null then @message_type else @expired_message_type end,
                   case when stored_before is null
                        then jsonb_build_object('requestId', id, 'action', action, 'category', array_position(@category_names::text[], category) - 1,
                                                'reason', reason, 'subjectIds', to_jsonb(subject_ids), 'tokens', to_jsonb(tokens),
                                                'tokenSubjects', to_jsonb(token_subjects), 'requestedAt', @now)
                        else jsonb_build_object('requestId', id, 'action', action, 'category', array_position(@category_names::text[], category) - 1,
                                                'reason', reason, 'storedBefore', stored_before, 'subjectIds', to_jsonb(subject_ids), 'requestedAt', @now)
                   end,
                   @trace_parent, @now, @now
            from items
        ),
        moved as (
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
        )
        delete from inventory_items i
        using (select array_agg(category order by category) as categories, array_agg(expired_before order by category) as cut_offs
               from rules where by_range) r
        where i.category = any (r.categories) and i.subject_id > @after and i.subject_id <= @last
          and i.stored_at < r.cut_offs[array_position(r.categories, i.category)] and i.state = 'active'
          and (not exists (select 1 from verdicts) or i.subject_id not in (select subject_id from verdicts))
        """;

    /// <summary>
    /// Settings for the batch's transaction: the statement is planned in a millisecond and runs in tens, so compiling it
    /// (JIT) costs more than it saves; its sorts and aggregates stay in memory; and the outbox payloads, tens of
    /// kilobytes each, are compressed with lz4 rather than the much slower default.
    /// </summary>
    public const string BatchSettings = "set local jit = off; set local work_mem = '64MB'; set local default_toast_compression = 'lz4'";

    /// <summary>The last subject of the next batch after @after (none: null), and how many subjects it holds.</summary>
    public const string NextBatch =
        """
        select max(subject_id), count(*) from (select subject_id from retention_subjects where subject_id > @after order by subject_id limit @limit) b
        """;
}
