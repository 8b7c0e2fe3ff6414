#!/usr/bin/env node
// maildev 2.2.1 with the SMTP listener a real relay has. Its own never offers STARTTLS (hideSTARTTLS is fixed, and
// STARTTLS is disabled whenever --incoming-user is set), so with a user it takes AUTH, password and all, in plain text.
// This runs maildev as it is (same options, store and web API) and replaces only its listener by one of the same library
// (smtp-server, from maildev's dependencies) that, given --incoming-cert and --incoming-key, offers STARTTLS and refuses
// AUTH before it (538) and mail before AUTH (530). Without a certificate it is maildev's listener unchanged.
// Recipients in the .invalid domain (reserved by RFC 2606, it can never exist) are refused at RCPT with 550 5.1.1, as a
// relay that checks recipient domains refuses them: the suite records such a refusal as a bounce.
const { SMTPServer } = require('smtp-server')
const MailDev = require('maildev')

const maildev = new MailDev()
const shipped = maildev.smtp.options
const starttls = Boolean(shipped.key && shipped.cert) && !shipped.secure
const listener = new SMTPServer({
  secure: shipped.secure,
  key: shipped.key || undefined,
  cert: shipped.cert || undefined,
  hideSTARTTLS: !starttls,
  disabledCommands: shipped.disabledCommands.filter((command) => !(starttls && command === 'STARTTLS')),
  allowInsecureAuth: false,
  hidePIPELINING: shipped.hidePIPELINING,
  hide8BITMIME: shipped.hide8BITMIME,
  hideSMTPUTF8: shipped.hideSMTPUTF8,
  onAuth: shipped.onAuth,
  onData: shipped.onData,
  onRcptTo (address, session, callback) {
    if (/\.invalid$/i.test(address.address.split('@').pop() || '')) {
      const refusal = new Error('5.1.1 Recipient address rejected: domain does not exist')
      refusal.responseCode = 550
      return callback(refusal)
    }
    callback()
  },
  logger: false
})
// maildev's own handler rethrows, so one client that drops a TLS session ends the server for everyone: a relay logs
// a client's error and serves the next. Only failing to listen at all stops it.
listener.on('error', (error) => {
  if (error.code === 'EADDRINUSE' || error.code === 'EACCES') {
    throw error
  }
  console.error(`maildev: a client session failed (${error.code || error.message})`)
})
maildev.smtp = listener
maildev.listen()
