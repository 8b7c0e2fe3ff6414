-- Issue 18.5: a transfer abroad needs the subject's separate consent (PIPL Art. 39, IWK-2.4), and the vault asks the
-- check for it by purpose. That purpose was never in the catalogue, so no one could grant it and every export abroad was
-- refused. One per policy, since a subject can only consent to purposes of their own policy: transfer.cross-border
-- (infobird, whose codes carry no prefix) and iwalk.transfer.cross-border (iwalk-scooter, whose policy provides for
-- cross-border business in its section on storage). Both rest on consent only and ask for it separately; the data
-- categories are what may leave the country once consented to (never location tracks or delivery addresses).
-- Part of each policy's seeded catalogue, so at version 1.0: no one consented under an earlier version.
insert into purposes (code, policy_id, name_en, name_zh, essential, default_basis, data_categories, third_party_recipient, separate_consent, changed_in_version, changed_in_sequence)
select p.code, p.policy_id, p.name_en, p.name_zh, false, 'Consent', array['Identity', 'Contact', 'Device', 'Usage'],
       'recipient outside mainland China, under a recorded transfer basis', true, '1.0',
       (select sequence from policy_versions v where v.policy_id = p.policy_id and v.version = '1.0')
from (values
    ('transfer.cross-border', 'infobird', 'Transfer of your personal information to a recipient outside mainland China', '向中华人民共和国境外的接收方提供您的个人信息'),
    ('iwalk.transfer.cross-border', 'iwalk-scooter', 'Transfer abroad to complete cross-border business', '为完成跨境业务向境外提供您的个人信息')
) as p (code, policy_id, name_en, name_zh)
on conflict (code) do nothing;

update policy_versions set changed_purposes = changed_purposes || array['transfer.cross-border']
where policy_id = 'infobird' and version = '1.0' and not ('transfer.cross-border' = any(changed_purposes));
update policy_versions set changed_purposes = changed_purposes || array['iwalk.transfer.cross-border']
where policy_id = 'iwalk-scooter' and version = '1.0' and not ('iwalk.transfer.cross-border' = any(changed_purposes));
