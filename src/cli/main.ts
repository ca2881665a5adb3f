#!/usr/bin/env node
/**
 * analog-firewall CLI: `start`, `policy check`, `principal register`, `person invite`, `regulator invite`, `token`, `access-token`,
 * `action reconcile`, `hsm-sim init`.
 * Usage errors and configuration errors exit 2 and 1 with a message naming the field or variable.
 */
import { isFirewallError } from '../core/errors.ts';
import { exitQuietlyWhenStdoutCloses } from './stdout-closed.ts';

const USAGE = `usage: analog-firewall <command>

  start [--exit-with-parent]              start the gateway (env: PORT HOST DATA_DIR POLICY_FILE …, see README);
                                          --exit-with-parent: stop when stdin closes (a supervisor that spawned it died)
  policy check FILE [--sample FILE.json]  validate a policy and show how sample actions classify
  principal register --id ID --roles R[,R] --public-key JWK_FILE [--owner PERSON] [--organisation ORG]
                                          (--owner is required for agents)
  person invite ID [--roles R[,R]] [--ttl SECONDS]  print a single-use approver-app enrolment link and its QR code
  regulator invite ID [--ttl SECONDS]     print a single-use regulator-console passkey link (ID: a registered regulator)
  token --key JWK_FILE METHOD PATH        print a one-use client assertion for curl (DATA_DIR/demo-agent.jwk in the tour)
  access-token --key JWK_FILE             print an MCP access token from the gateway's token endpoint (docs/mcp.md)
  action reconcile ID --outcome executed|failed --reason TEXT --key ADMIN_JWK_FILE [--id ID] [--gateway URL]
                                          settle an action whose outcome stayed unknown (admin)
  cluster [--replicas N]                  hsm-sim, N replicas on PostgreSQL and Redis, HAProxy on PORT (docs/operations.md)
  hsm-sim init                            initialise a standalone hsm-sim's token (env: HSM_SIM_SOCKET or HSM_SIM_TCP [+ HSM_SIM_TLS_*],
                                          HSM_SIM_SO_PIN, HSM_SIM_USER_PIN; docs/hsm.md)
`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd !== 'start' && cmd !== 'cluster') exitQuietlyWhenStdoutCloses();
  switch (cmd) {
    case 'start': {
      if (rest.some((a) => a !== '--exit-with-parent')) break;
      const { runStart } = await import('./start.ts');
      return runStart({ exitWithParent: rest.includes('--exit-with-parent') });
    }
    case 'policy': {
      if (rest[0] !== 'check') break;
      const { policyCheck } = await import('./policy-check.ts');
      return policyCheck(rest.slice(1), (s) => process.stdout.write(s.endsWith('\n') ? s : s + '\n'));
    }
    case 'principal': {
      if (rest[0] !== 'register') break;
      const { runPrincipalRegister } = await import('./principal-register.ts');
      return runPrincipalRegister(rest.slice(1));
    }
    case 'action': {
      if (rest[0] !== 'reconcile') break;
      const { runActionReconcile } = await import('./action-reconcile.ts');
      return runActionReconcile(rest.slice(1), (s) => process.stdout.write(s + '\n'));
    }
    case 'person': {
      if (rest[0] !== 'invite') break;
      const { runPersonInvite } = await import('./person-invite.ts');
      return runPersonInvite(rest.slice(1), (s) => process.stdout.write(s));
    }
    case 'regulator': {
      if (rest[0] !== 'invite') break;
      const { runRegulatorInvite } = await import('./regulator-invite.ts');
      return runRegulatorInvite(rest.slice(1), (s) => process.stdout.write(s));
    }
    case 'token': {
      const { runToken } = await import('./token.ts');
      return runToken(rest);
    }
    case 'access-token': {
      const { runAccessToken } = await import('./access-token.ts');
      return runAccessToken(rest);
    }
    case 'hsm-sim': {
      if (rest[0] !== 'init' || rest.length !== 1) break;
      const { runHsmSimInit } = await import('./hsm-sim-init.ts');
      return runHsmSimInit(process.env, (s) => process.stdout.write(s + '\n'));
    }
    case 'cluster': {
      const { runCluster } = await import('./cluster.ts');
      return runCluster(rest, process.env, (s) => process.stdout.write(s + '\n'));
    }
    case 'help':
    case '--help':
    case undefined:
      process.stdout.write(USAGE);
      return cmd === undefined ? 2 : 0;
  }
  process.stderr.write(`unknown command '${argv.join(' ')}'\n${USAGE}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code !== -1) process.exitCode = code;
  },
  (err: unknown) => {
    if (isFirewallError(err)) {
      process.stderr.write(`error ${err.code}: ${err.message}\n`);
      const errors = err.detail?.['errors'];
      if (Array.isArray(errors)) for (const e of errors) process.stderr.write(`  ${formatIssue(e)}\n`);
    } else {
      process.stderr.write(`error: ${(err as Error)?.stack ?? String(err)}\n`);
    }
    // Exit now: a start-up that failed half way may hold connections (Redis, the store, the HSM)
    // that would keep the process alive with nothing serving. stderr is synchronous on pipes and files.
    process.exit(1);
  },
);

function formatIssue(e: unknown): string {
  const i = e as { file?: string; line?: number; column?: number; field?: string; message?: string };
  return `${i.file ?? ''}${i.line !== undefined ? `:${i.line}:${i.column ?? 1}` : ''} ${i.field ?? ''}: ${i.message ?? JSON.stringify(e)}`;
}
