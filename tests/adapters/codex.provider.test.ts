import { describeProviderContract } from '../contract/provider.contract.js';
import { codexHarness } from '../support/codex-harness.js';

describeProviderContract(codexHarness);
