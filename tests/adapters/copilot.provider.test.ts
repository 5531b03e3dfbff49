import { describeProviderContract } from '../contract/provider.contract.js';
import { copilotHarness } from '../support/copilot-harness.js';

describeProviderContract(copilotHarness);
