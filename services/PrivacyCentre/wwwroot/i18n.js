// The centre's words in English and Simplified Chinese. The language is the browser's (zh* reads Chinese), until the
// person picks the other one with the header's button; the choice is kept in this browser only.
"use strict";

const TEXT = {
  en: {
    brand: "Privacy centre", skip: "Skip to content", signOut: "Sign out", language: "中文",
    signInTitle: "Sign in", signInHelp: "We send a one-time code to your verified e-mail address or phone number. Nobody else can sign in with it.",
    contactKind: "Send the code to my", email: "E-mail address", phone: "Phone number", contactLabel: "Your e-mail address or phone number",
    sendCode: "Send me a code", enterCodeTitle: "Enter your code", codeLabel: "Six-digit code", signInButton: "Sign in",
    otherContact: "Use another contact", contactMissing: "Type your e-mail address or phone number.", codeMissing: "Type the six digits of the code.",
    codeSentTo: "If {contact} is a verified contact of yours, a code is on its way. It is valid until {time}.",
    signedOut: "You are signed out.",
    "nav.consents": "Consents", "nav.data": "Your data", "nav.requests": "Corrections and erasure", "nav.log": "Who used your data", "nav.notices": "Notices",
    "consents.title": "Your consents", "consents.intro": "What you agreed to, purpose by purpose. You can withdraw what is not essential at any time; essential purposes end only when you cancel your account.",
    "consents.guardian": "You are under the age this policy sets: a guardian gives or withdraws consent for you.",
    essential: "Essential", optional: "Optional",
    "reason.consent-granted": "You agreed (policy version {version}).", "reason.legal-basis": "Needed without consent, on a legal basis: {basis}.",
    "reason.no-consent": "You have not agreed.", "reason.consent-withdrawn": "You withdrew your consent.",
    "reason.policy-changed": "The policy changed for this purpose: agree again to version {version} to keep it.",
    "reason.guardian-consent-required": "Your guardian's consent is needed.", "reason.account-cancelled": "Your account is cancelled.",
    "reason.subject-erased": "Your data was erased.", "reason.separate-consent-required": "Needs your separate consent.",
    withdraw: "Withdraw", confirmWithdraw: "Yes, withdraw", cancel: "Cancel", agree: "Agree (version {version})", agreeAgain: "Agree to version {version}",
    "withdraw.ask": "Withdraw your consent to “{name}”? The product stops using your data for it.",
    withdrawn: "Consent to “{name}” withdrawn.", agreed: "You agreed to “{name}”.",
    separately: "Separately agreed: {categories}.", stopSharing: "Stop sharing {category}", stoppedSharing: "You stopped sharing {category} for “{name}”.",
    "category.Identity": "identity documents", "category.Location": "location",
    readPolicy: "Read the privacy policy", policyVersion: "Version {version}", noPolicyText: "This version's text is not on file.",
    "data.title": "Your data", "data.intro": "See what the vault holds about you, or download it as a file. Each time we send a code to your verified contact first.",
    "data.access": "See your data", "data.export": "Download your data", "data.exportHelp": "A JSON file you can keep or take to another service.",
    downloaded: "Your data was downloaded as {file}.", source: "Source", basis: "Legal basis", updated: "Updated",
    "source.provided": "you gave it", "source.collected": "collected from your devices",
    "code.send": "Send me a code", "code.sent": "A code was sent to your verified contact. It is valid until {time}.", "code.label": "Code for this request",
    "code.go": "Continue", "code.missing": "Type the six digits of the code.",
    "requests.title": "Corrections and erasure", "requests.correct": "Correct your data", "requests.correctHelp": "Name what is wrong and what it should be.",
    "requests.category": "Kind of data", "requests.field": "Field", "requests.value": "Correct value", "requests.reason": "Why",
    "requests.erase": "Erase your data", "requests.eraseHelp": "Everything the vault holds about you is destroyed, unless the law makes us keep part of it (we say which, and why).",
    "requests.eraseConfirm": "I understand that my data cannot be recovered.", "requests.corrected": "Corrected: {category}.",
    "requests.erased": "Your data was erased. Deletion certificate {id}, {time}.", "requests.yours": "Your requests",
    "requests.none": "You have made no requests yet.", "requests.formMissing": "Fill in every field.",
    "col.request": "Request", "col.state": "State", "col.started": "Started", "col.done": "Done",
    "request.access": "Access", "request.export": "Export", "request.rectification": "Correction", "request.erasure": "Erasure",
    "state.open": "waiting for the code", "state.done": "done", "state.completed": "done", "state.expired": "expired", "state.approved": "approved",
    "state.awaiting-approval": "waiting for a privacy officer",
    "cat.identity": "Identity", "cat.contact": "Contact", "cat.device": "Device", "cat.usage": "Usage", "cat.location": "Location", "cat.delivery": "Delivery",
    "log.title": "Who used your data", "log.intro": "Every read of your data is logged, with who read it and for which purpose. This is that log.",
    "log.none": "Nobody has used your data yet.", "col.when": "When", "col.who": "Who", "col.what": "What", "col.purpose": "Purpose",
    "col.category": "Data", "col.outcome": "Outcome", "outcome.allowed": "allowed", "outcome.denied": "refused",
    "notices.title": "Notices", "notices.intro": "Announcements to everyone: incidents, policy changes, the end of a service.", "notices.none": "There are no notices.",
    failed: "That did not work ({status}).", retry: "Try again", loading: "Loading…", signInAgain: "Your session ended: sign in again.",
    "error.sign-in-refused": "That code is not right, or it expired. Ask for a new one.",
    "error.not-your-data": "That is not your data.", "error.legal-hold": "Part of your data must be kept by law for now.",
  },
  "zh-CN": {
    brand: "隐私中心", skip: "跳到正文", signOut: "退出登录", language: "English",
    signInTitle: "登录", signInHelp: "我们会向您已验证的电子邮箱或手机号发送一次性验证码，其他人无法用它登录。",
    contactKind: "验证码发送到我的", email: "电子邮箱", phone: "手机号", contactLabel: "您的电子邮箱或手机号",
    sendCode: "发送验证码", enterCodeTitle: "输入验证码", codeLabel: "六位验证码", signInButton: "登录",
    otherContact: "使用其他联系方式", contactMissing: "请输入您的电子邮箱或手机号。", codeMissing: "请输入六位验证码。",
    codeSentTo: "如果 {contact} 是您已验证的联系方式，验证码已发出，有效期至 {time}。",
    signedOut: "您已退出登录。",
    "nav.consents": "同意管理", "nav.data": "我的数据", "nav.requests": "更正与删除", "nav.log": "谁使用了我的数据", "nav.notices": "公告",
    "consents.title": "您的同意", "consents.intro": "按目的列出您同意的内容。非必要的目的可随时撤回；必要的目的只能通过注销账户结束。",
    "consents.guardian": "您未达到本政策规定的年龄：由监护人代您同意或撤回。",
    essential: "必要", optional: "可选",
    "reason.consent-granted": "您已同意（政策版本 {version}）。", "reason.legal-basis": "依据法定事由处理，无需同意：{basis}。",
    "reason.no-consent": "您尚未同意。", "reason.consent-withdrawn": "您已撤回同意。",
    "reason.policy-changed": "该目的的政策已变更：请同意版本 {version} 以继续。",
    "reason.guardian-consent-required": "需要您的监护人同意。", "reason.account-cancelled": "您的账户已注销。",
    "reason.subject-erased": "您的数据已删除。", "reason.separate-consent-required": "需要您的单独同意。",
    withdraw: "撤回", confirmWithdraw: "确认撤回", cancel: "取消", agree: "同意（版本 {version}）", agreeAgain: "同意版本 {version}",
    "withdraw.ask": "撤回对“{name}”的同意？产品将停止为此使用您的数据。",
    withdrawn: "已撤回对“{name}”的同意。", agreed: "您已同意“{name}”。",
    separately: "已单独同意：{categories}。", stopSharing: "停止共享{category}", stoppedSharing: "您已停止为“{name}”共享{category}。",
    "category.Identity": "身份证件信息", "category.Location": "位置信息",
    readPolicy: "阅读隐私政策", policyVersion: "版本 {version}", noPolicyText: "该版本的正文未存档。",
    "data.title": "我的数据", "data.intro": "查看保管库中保存的关于您的数据，或下载为文件。每次操作前，我们都会先向您已验证的联系方式发送验证码。",
    "data.access": "查看我的数据", "data.export": "下载我的数据", "data.exportHelp": "JSON 文件，可自行保存或转移到其他服务。",
    downloaded: "您的数据已下载为 {file}。", source: "来源", basis: "法律依据", updated: "更新时间",
    "source.provided": "由您提供", "source.collected": "从您的设备收集",
    "code.send": "发送验证码", "code.sent": "验证码已发送到您已验证的联系方式，有效期至 {time}。", "code.label": "本次请求的验证码",
    "code.go": "继续", "code.missing": "请输入六位验证码。",
    "requests.title": "更正与删除", "requests.correct": "更正我的数据", "requests.correctHelp": "请说明哪里有误以及正确的内容。",
    "requests.category": "数据类别", "requests.field": "字段", "requests.value": "正确的值", "requests.reason": "原因",
    "requests.erase": "删除我的数据", "requests.eraseHelp": "保管库中关于您的全部数据将被销毁，法律要求保留的部分除外（我们会说明是哪些及原因）。",
    "requests.eraseConfirm": "我了解数据删除后无法恢复。", "requests.corrected": "已更正：{category}。",
    "requests.erased": "您的数据已删除。删除证明 {id}，{time}。", "requests.yours": "我的请求",
    "requests.none": "您还没有提出请求。", "requests.formMissing": "请填写所有字段。",
    "col.request": "请求", "col.state": "状态", "col.started": "提出时间", "col.done": "完成时间",
    "request.access": "查阅", "request.export": "导出", "request.rectification": "更正", "request.erasure": "删除",
    "state.open": "等待验证码", "state.done": "已完成", "state.completed": "已完成", "state.expired": "已过期", "state.approved": "已批准",
    "state.awaiting-approval": "等待隐私官批准",
    "cat.identity": "身份", "cat.contact": "联系方式", "cat.device": "设备", "cat.usage": "使用记录", "cat.location": "位置", "cat.delivery": "配送",
    "log.title": "谁使用了我的数据", "log.intro": "每次读取您的数据都会记录读取者和目的。以下即为该记录。",
    "log.none": "还没有人使用过您的数据。", "col.when": "时间", "col.who": "读取者", "col.what": "操作", "col.purpose": "目的",
    "col.category": "数据", "col.outcome": "结果", "outcome.allowed": "允许", "outcome.denied": "拒绝",
    "notices.title": "公告", "notices.intro": "面向所有人的公告：安全事件、政策变更、服务终止。", "notices.none": "暂无公告。",
    failed: "操作未成功（{status}）。", retry: "重试", loading: "加载中…", signInAgain: "会话已结束，请重新登录。",
    "error.sign-in-refused": "验证码不正确或已过期，请重新获取。",
    "error.not-your-data": "这不是您的数据。", "error.legal-hold": "依法律规定，您的部分数据目前必须保留。",
  },
};

function initialLanguage() {
  const chosen = localStorage.getItem("privacy-centre-language");
  if (chosen === "en" || chosen === "zh-CN") return chosen;
  return (navigator.languages || [navigator.language]).find(l => /^(zh|en)/i.test(l))?.toLowerCase().startsWith("zh") ? "zh-CN" : "en";
}

let language = initialLanguage();

/** The text of `key` in the current language, with {name} replaced from `vars`; the key itself if none is written. */
function t(key, vars = {}) {
  const text = TEXT[language][key] ?? TEXT.en[key] ?? key;
  return text.replace(/\{(\w+)\}/g, (_, name) => vars[name] ?? "");
}

function hasText(key) { return key in TEXT[language] || key in TEXT.en; }
