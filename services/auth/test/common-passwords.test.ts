/** Common passwords are refused wherever a password is set (finding 13 of issue 12). */
import t from 'tap';
import { isCommonPassword } from '../src/security/common-passwords.ts';
import { ADMIN_EMAIL, ADMIN_PASSWORD, bearer, buildTestApp, login, PASSWORD } from './helper.ts';

t.test('the list and its predictable decorations', async (t) => {
  for (const p of ['password', 'Password123!', 'PASSWORD1234', '!!Summer2024!!', 'qwerty123456', 'Football#2024']) {
    t.ok(isCommonPassword(p), `${p} is common`);
  }
  for (const p of [PASSWORD, 'correct-horse-battery-9', 'Lumi-first-boot-2024', 'tr0ub4dor&3-plus', 'ab1234567890']) {
    t.notOk(isCommonPassword(p), `${p} is not`);
  }
});

t.test('creating a user or changing a password to a common one is a 400 COMMON_PASSWORD', async (t) => {
  const { app } = await buildTestApp(t);
  const admin = (await login(app, ADMIN_EMAIL, ADMIN_PASSWORD)).access_token;
  const create = (password: string) =>
    app.inject({
      method: 'POST',
      url: '/api/v1/admin/users',
      headers: bearer(admin),
      payload: { email: 'casey@company.local', name: 'Casey', password },
    });
  for (const password of ['Password123!', 'Baseball2024?']) {
    const refused = await create(password);
    t.equal(refused.statusCode, 400, `${password} refused`);
    t.equal(refused.json().code, 'COMMON_PASSWORD');
    t.notMatch(refused.body, new RegExp(password.replace(/[?!]/g, '\\$&')), 'the password is not echoed');
  }
  const created = await create(PASSWORD);
  t.equal(created.statusCode, 201, 'a password off the list is fine');

  const casey = (await login(app, 'casey@company.local', PASSWORD)).access_token;
  const change = await app.inject({
    method: 'POST',
    url: '/api/v1/auth/password',
    headers: bearer(casey),
    payload: { current_password: PASSWORD, new_password: 'Iloveyou2024!' },
  });
  t.equal(change.statusCode, 400);
  t.equal(change.json().code, 'COMMON_PASSWORD');
  t.ok((await login(app, 'casey@company.local', PASSWORD)).access_token, 'the old password still works');
});
