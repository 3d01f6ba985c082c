// /mutes on the stats function: GET lists the active mutes; POST (JSON MuteRequest) and DELETE
// (?source=&templateId=) change them, behind the gateway's basic auth (the OpenFaaS gateway does not
// authenticate function calls, so the function checks the admin credentials itself).
import {
  BadRequestError,
  HttpError,
  jsonResponse,
  MethodNotAllowedError,
  UnauthorizedError,
} from '../../core/errors.js';
import { type Credentials, checkBasicAuth } from '../../core/http/basic-auth.js';
import type { KV } from '../../core/kv/types.js';
import { MuteInputError, parseMuteRequest } from '../../core/mutes/mute.js';
import { addMute, listMutes, MutesBusyError, MutesFullError, removeMute } from '../../core/mutes/store.js';

export interface MutesDeps {
  kv: KV;
  admin?: Credentials;
  now: () => number;
}

/** Paths this route answers: `/mutes` as the gateway forwards it, `/function/stats/mutes` when called directly. */
export const isMutesPath = (pathname: string): boolean => /(^|\/)mutes\/?$/.test(pathname);

export function createMutesRoute(deps: MutesDeps): (req: Request) => Promise<Response> {
  return async (req) => {
    const now = deps.now();
    if (req.method === 'GET' || req.method === 'HEAD') {
      const res = jsonResponse({ mutes: await listMutes(deps.kv, now) }, 200, {
        'cache-control': 'no-store',
      });
      return req.method === 'HEAD' ? new Response(null, { status: 200, headers: res.headers }) : res;
    }
    if (req.method !== 'POST' && req.method !== 'DELETE')
      throw new MethodNotAllowedError('mutes answer GET, POST (add) and DELETE (remove)');
    const user = authenticate(req, deps.admin);
    try {
      if (req.method === 'POST') {
        let body: unknown;
        try {
          body = JSON.parse(await req.text());
        } catch {
          throw new BadRequestError(
            'body must be JSON: {"source", "templateId", "forMs"?, "reason"?, "by"?}',
          );
        }
        const r = await addMute(deps.kv, parseMuteRequest(body), { now, defaultBy: user });
        return jsonResponse(r, r.replaced ? 200 : 201, { 'cache-control': 'no-store' });
      }
      const q = new URL(req.url).searchParams;
      const source = q.get('source');
      const templateId = q.get('templateId');
      if (!source || !templateId) throw new BadRequestError('DELETE needs ?source=...&templateId=...');
      if (!(await removeMute(deps.kv, source, templateId, now)))
        throw new HttpError(404, 'not_muted', `${templateId} of ${source} is not muted`);
      return jsonResponse({ removed: { source, templateId } }, 200, { 'cache-control': 'no-store' });
    } catch (e) {
      if (e instanceof MuteInputError) throw new BadRequestError(e.message);
      if (e instanceof MutesFullError) throw new HttpError(409, 'too_many_mutes', e.message);
      if (e instanceof MutesBusyError) throw new HttpError(503, 'busy', e.message);
      throw e;
    }
  };
}

/** The user name when the request carries the admin credentials; 401 otherwise, 503 without any set. */
function authenticate(req: Request, admin: Credentials | undefined): string {
  if (!admin)
    throw new HttpError(
      503,
      'mutes_disabled',
      'changing mutes needs the admin password here: secret basic-auth-password or LOGFAAS_ADMIN_PASSWORD',
    );
  if (!checkBasicAuth(req.headers.get('authorization'), admin))
    throw new UnauthorizedError('changing mutes needs the gateway admin credentials (basic auth)');
  return admin.user;
}
