import { describeProviderContract } from '../contract/provider.contract.js';
import { claudeHarness, claudeProxiedHarness } from '../support/claude-harness.js';

describeProviderContract(claudeHarness);
// The same contract as the worker runs the CLI: every model call through the job's credential proxy.
describeProviderContract(claudeProxiedHarness);
