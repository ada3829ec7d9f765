/** The one emulated account: its region, project and the credentials it accepts (none of them secret). */
import type { EmulatorAccount } from './types';

export const ACCOUNT: Readonly<EmulatorAccount> = Object.freeze({
  // A Huawei Cloud region (the default cloud): OMS and the DCS task center exist only there.
  region: 'cn-north-4',
  projectId: '0b5c6a7e9d8f4e2a9c1b3d5f7a9e1c3b',
  projectName: 'cn-north-4',
  domainName: 'janitor-domain',
  userName: 'janitor-user',
  password: 'emulator-password-not-a-secret',
  accessKey: 'EMULATORPERMANENTAK1',
  secretKey: 'emulator-permanent-secret-key-not-a-secret',
  tempAccessKey: 'EMULATORTEMPORARYAK1',
  tempSecretKey: 'emulator-temporary-secret-key-not-a-secret',
  securityToken: 'emulator-security-token-not-a-secret',
});
