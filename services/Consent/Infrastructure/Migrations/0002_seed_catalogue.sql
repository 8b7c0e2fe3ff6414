-- The purpose catalogue of the two policies in the design card's seeds (INF-4.1, INF-5.1, IWK-1.3), at version 1.0.
insert into policies (policy_id, controller, guardian_age, current_version) values
    ('infobird', 'Infobird', 18, '1.0'),
    ('iwalk-scooter', 'iwalk-scooter Internet', 18, '1.0');

insert into policy_versions (policy_id, version, changed_purposes, published_at) values
    ('infobird', '1.0', array['service.provide', 'personalisation', 'service.optimisation', 'protection', 'offers.relevant', 'surveys', 'delivery.offline', 'sharing.third-party'], '2026-01-01T00:00:00Z'),
    ('iwalk-scooter', '1.0', array['iwalk.service.provide', 'iwalk.transaction-security', 'iwalk.personalisation'], '2026-01-01T00:00:00Z');

insert into purposes (code, policy_id, name_en, name_zh, essential, default_basis, data_categories, third_party_recipient, separate_consent, changed_in_version, changed_in_sequence)
select p.code, p.policy_id, p.name_en, p.name_zh, p.essential, p.default_basis, p.data_categories, p.recipient, p.separate_consent, '1.0',
       (select sequence from policy_versions v where v.policy_id = p.policy_id and v.version = '1.0')
from (values
    -- Infobird IV: how we use the information.
    ('service.provide', 'infobird', 'Providing the service', '向您提供服务', true, 'Consent', array['Identity', 'Contact', 'Device', 'Usage'], null, false),
    ('personalisation', 'infobird', 'Personalisation (language and location settings, personalised help)', '满足您的个性化需求（语言设置、位置设置、个性化帮助）', false, 'Consent', array['Device', 'Usage', 'Location'], null, false),
    ('service.optimisation', 'infobird', 'Service optimisation and development', '服务优化与开发', false, 'Consent', array['Device', 'Usage'], null, false),
    ('protection', 'infobird', 'Protection: identity verification, security, complaints, disputes, fraud detection', '保护：身份验证、安全、投诉处理、纠纷协调、欺诈检测', true, 'SafeOperation', array['Identity', 'Device', 'Usage'], null, false),
    ('offers.relevant', 'infobird', 'More relevant services and offers', '提供与您更相关的服务', false, 'Consent', array['Usage'], null, false),
    ('surveys', 'infobird', 'Inviting you to surveys about our products and services', '邀请您参与有关产品和服务的调查', false, 'Consent', array['Contact'], null, false),
    -- INF-1.3: offline delivery data only to perform the contract.
    ('delivery.offline', 'infobird', 'Offline delivery of what you ordered', '线下交付您订购的产品', false, 'ContractNecessity', array['Contact', 'Delivery'], null, false),
    -- INF-5.1: sharing with a non-affiliated third party is a purpose of its own, with separate express consent.
    ('sharing.third-party', 'infobird', 'Sharing with a non-affiliated third party', '向非关联第三方共享', false, 'Consent', array['Identity', 'Contact'], 'non-affiliated third party', true),
    -- iwalk-scooter (2): how we use your information.
    ('iwalk.service.provide', 'iwalk-scooter', 'Providing the iwalk-scooter service', '提供 iwalk-scooter 服务', true, 'Consent', array['Identity', 'Contact', 'Device', 'Usage', 'Location'], null, false),
    ('iwalk.transaction-security', 'iwalk-scooter', 'Transaction security and account protection', '保障交易安全与账户安全', true, 'SafeOperation', array['Device', 'Usage'], null, false),
    ('iwalk.personalisation', 'iwalk-scooter', 'A personalised service experience', '个性化服务体验', false, 'Consent', array['Device', 'Usage', 'Location'], null, false)
) as p (code, policy_id, name_en, name_zh, essential, default_basis, data_categories, recipient, separate_consent);
