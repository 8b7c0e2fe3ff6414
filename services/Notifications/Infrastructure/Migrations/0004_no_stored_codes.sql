-- Issue 18.4: a verification code is fetched from the vault when its notice is sent and is never stored. Requests
-- recorded before this version held the code among their variables: it goes. Their pending deliveries now fail
-- (invalid-variables: no verification id to fetch a code by), and the subject asks for a new code.
update notice_requests
set variables = variables - 'code' - 'expiresInMinutes'
where notice_type = 'verification-code';
