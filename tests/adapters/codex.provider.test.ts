import { describeProviderContract } from '../contract/provider.contract.js';
import { codexHarness } from '../support/codex-harness.js';
import { codexProxiedHarness } from '../support/codex-proxied-harness.js';

describeProviderContract(codexHarness);
// The same contract as the worker runs the CLI: every model call through the job's credential proxy.
describeProviderContract(codexProxiedHarness);
