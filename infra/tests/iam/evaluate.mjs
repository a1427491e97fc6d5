// Evaluate IAM requests against policies with @cloud-copilot/iam-simulate (AWS's evaluation
// logic: identity and resource policies, explicit and implicit denies, conditions).
// stdin: {"accountId": "...", "cases": [{"name", "principal" (ARN or null for anonymous),
//   "action", "resource", "context": {key: value}, "identityPolicies": [policy...],
//   "resourcePolicy": policy or null}]}
// stdout: [{"name", "result"}], result being Allowed, ImplicitlyDenied, ExplicitlyDenied, or
// "error: ..." when the evaluator refused the input (a policy it cannot read, say).
import { anonymousPrincipal, runSimulation } from '@cloud-copilot/iam-simulate';

const chunks = [];
for await (const chunk of process.stdin) chunks.push(chunk);
const { accountId, cases } = JSON.parse(Buffer.concat(chunks).toString('utf8'));

const results = [];
for (const c of cases) {
  const outcome = await runSimulation(
    {
      request: {
        principal: c.principal ?? anonymousPrincipal,
        action: c.action,
        resource: { resource: c.resource, accountId },
        contextVariables: c.context,
      },
      identityPolicies: c.identityPolicies.map((policy, i) => ({ name: `policy-${i}`, policy })),
      serviceControlPolicies: [],
      resourceControlPolicies: [],
      resourcePolicy: c.resourcePolicy ?? undefined,
    },
    { simulationMode: 'Strict' },
  );
  if (outcome.resultType === 'error') {
    results.push({ name: c.name, result: `error: ${JSON.stringify(outcome.errors)}` });
    continue;
  }
  // A context key the evaluator dropped as not applying to the action would make a case
  // test something other than what it says.
  const ignored = outcome.resultType === 'single' ? outcome.result.ignoredContextKeys ?? [] : [];
  results.push({ name: c.name, result: outcome.overallResult, ignoredContextKeys: ignored });
}
process.stdout.write(JSON.stringify(results));
