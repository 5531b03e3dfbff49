import { describeProviderContract } from '../contract/provider.contract.js';
import { codexHarness, codexProxiedHarness } from '../support/codex-harness.js';

describeProviderContract(codexHarness);
// The same contract as the worker runs the CLI: every model call through the job's credential proxy.
describeProviderContract(codexProxiedHarness);
