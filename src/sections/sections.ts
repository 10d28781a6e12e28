// The ONE definition of the plan's five sections: every form, nav link and label comes from here.
import { SECTION_KEYS, type SectionKey } from '../../supabase/functions/_shared/schema.ts';

export interface FieldDefinition {
  /** The key under which the value is stored in the section's `data`. */
  name: string;
  label: string;
  help: string;
  multiline: boolean;
}

export interface SectionDefinition {
  key: SectionKey;
  title: string;
  intro: string;
  fields: readonly FieldDefinition[];
}

const field = (name: string, label: string, help: string, multiline = true): FieldDefinition => ({
  name,
  label,
  help,
  multiline,
});

export const SECTIONS: readonly SectionDefinition[] = [
  {
    key: 'section-one',
    title: 'Reflection',
    intro: 'Start with yourself: why this business, and why now.',
    fields: [
      field('motivation', 'Why do you want to start this business?', 'What drew you to this idea.'),
      field('vision', 'Where do you see the business in five years?', 'Size, reach, role.'),
      field('strengths', 'What strengths do you bring?', 'Skills, experience, network.'),
      field('concerns', 'What worries you most?', 'Risks you already see.'),
      field('success', 'What does success look like for you?', 'How you will know it worked.'),
    ],
  },
  {
    key: 'section-two',
    title: 'The business',
    intro: 'Describe what you will sell and to whom.',
    fields: [
      field('businessName', 'Business name', 'The name customers will see.', false),
      field('summary', 'One-sentence summary', 'What the business does, in plain words.', false),
      field('problem', 'Problem you solve', 'The need or pain your customers have.'),
      field('solution', 'Your solution', 'The product or service and how it helps.'),
      field('customers', 'Who your customers are', 'The people or businesses who will pay.'),
      field(
        'stage',
        'Where the business is today',
        'Idea, first sales or trading, and since when.',
        false,
      ),
    ],
  },
  {
    key: 'section-three',
    title: 'Market',
    intro: 'Show that the market exists and how you will reach it.',
    fields: [
      field('marketSize', 'Market size', 'How many customers, how much they spend.'),
      field('competitors', 'Competitors', 'Who else serves these customers today.'),
      field('advantage', 'Your advantage', 'Why customers will choose you.'),
      field('pricing', 'Pricing', 'What you will charge and why.', false),
      field(
        'channels',
        'Sales and marketing channels',
        'How customers will find and buy from you.',
      ),
      field(
        'trends',
        'Market trends',
        'What is changing in this market, and how it helps or hurts you.',
      ),
    ],
  },
  {
    key: 'section-four',
    title: 'Operations',
    intro: 'How the business will run day to day.',
    fields: [
      field('location', 'Location', 'Where you will work from.', false),
      field('team', 'Team', 'Who does what, now and later.'),
      field('suppliers', 'Suppliers and partners', 'Who you depend on.'),
      field('milestones', 'Milestones', 'The next steps, with dates.'),
      field('legal', 'Legal and licences', 'Registration, permits, insurance.'),
      field(
        'operationalRisks',
        'What could stop you operating',
        'Key people, suppliers or equipment you rely on, and your plan B.',
      ),
    ],
  },
  {
    key: 'section-five',
    title: 'Finances',
    intro: 'The numbers that make the plan work.',
    fields: [
      field('startupCosts', 'Start-up costs', 'What you need to spend before the first sale.'),
      field('funding', 'Funding', 'Where the money comes from.'),
      field('revenue', 'Revenue forecast', 'Expected sales for the first year.'),
      field('breakEven', 'Break-even point', 'When income covers costs.', false),
      field('cashFlow', 'Cash flow risks', 'What could leave you short, and the plan for it.'),
      field(
        'monthlyCosts',
        'Monthly running costs',
        'Rent, wages, stock, subscriptions: what leaves every month.',
      ),
    ],
  },
];

if (SECTIONS.map((s) => s.key).join() !== SECTION_KEYS.join()) {
  throw new Error('SECTIONS must list every section key once, in order');
}

export const sectionByKey = (key: string): SectionDefinition | undefined =>
  SECTIONS.find((s) => s.key === key);
