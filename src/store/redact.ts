/**
 * Store URLs fit for logs and error messages: the password never appears, whether it is in
 * the authority (postgres://user:secret@host/db) or a query parameter (?password=secret).
 */
const SECRET_PARAMS = /([?&](?:password|sslpassword)=)[^&#]*/gi;

export function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^/?#]*@/, '//$1:***@').replace(SECRET_PARAMS, '$1***');
}
