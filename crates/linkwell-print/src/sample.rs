//! Realistic synthetic data for examples, tests and benchmarks (no real people).

use chrono::NaiveDate;

use crate::model::{
    CrisisContact, FiveWays, Goal, GreenBook, GroupBlock, MeasureLine, NextSteps, Rating,
    ServiceInfo, ServicePage, Step, WellnessPlan, WorkerContact,
};

fn d(y: i32, m: u32, day: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, day).expect("valid sample date")
}

fn step(text: &str, target: Option<NaiveDate>, done: bool) -> Step {
    Step {
        text: text.to_string(),
        target_on: target,
        done,
    }
}

fn rating(on: NaiveDate, score: i8) -> Rating {
    Rating {
        rated_on: on,
        score,
    }
}

/// A full, synthetic Green Book (about a dozen pages in standard print) with accented
/// names: Zoë Nguyễn supported by Siobhán Ó Briain, groups run by Łukasz and others.
pub fn sample_green_book() -> GreenBook {
    GreenBook {
        person_preferred_name: Some("Zoë".to_string()),
        person_full_name: "Zoë Nguyễn".to_string(),
        worker: Some(WorkerContact {
            name: "Siobhán Ó Briain".to_string(),
            phone: "0115 496 0321 (Monday to Thursday, 9am to 4pm)".to_string(),
            email: "siobhan.obriain@livewell.example.nhs.uk".to_string(),
        }),
        service: ServiceInfo {
            name: "Rushcliffe Live Well".to_string(),
            phone: "0115 496 0000".to_string(),
            email: "livewell@example.nhs.uk".to_string(),
            crisis_contacts: vec![
                CrisisContact {
                    name: "Emergency".to_string(),
                    detail: "Call 999 if your life or someone else's is at risk.".to_string(),
                },
                CrisisContact {
                    name: "NHS 111".to_string(),
                    detail: "Call 111 and choose the mental health option, day or night."
                        .to_string(),
                },
                CrisisContact {
                    name: "Samaritans".to_string(),
                    detail: "Call 116 123, free, any time, or email jo@samaritans.org.".to_string(),
                },
                CrisisContact {
                    name: "My GP".to_string(),
                    detail: "Musters Medical Practice, 0115 496 0456 (8am to 6:30pm).".to_string(),
                },
            ],
        },
        plan: Some(WellnessPlan {
            keeps_me_well: "Getting up by 9 and opening the curtains straight away. A proper \
                breakfast, even if it is only toast. Walking Biscuit (my neighbour's dog) \
                round the park most afternoons. Ringing my sister Thủy on Sundays. Keeping my \
                tablets in the dosette box by the kettle so I don't forget them. Listening to \
                the radio while I cook, and sitting in the garden when it is dry.\n\
                Going to bed before midnight, and not looking at my phone in bed."
                .to_string(),
            triggers: "Letters about money, especially brown envelopes from the council. \
                When my breathing is bad and I can't get out. Long dark evenings in winter. \
                Arguments on the phone with my ex-husband. Being on my own for days without \
                talking to anyone. Too many appointments in one week."
                .to_string(),
            warning_signs: "I stop opening the post and leave it in a pile. I stay in my \
                dressing gown all day. I stop answering the phone, even to Thủy. I eat crisps \
                instead of meals. I can't sleep and I lie awake worrying about money. I \
                forget my inhalers."
                .to_string(),
            what_i_do: "Tell Thủy or Siobhán that I am struggling: just a text saying \
                'bad week' is enough. Open one letter a day with a cup of tea, and ask \
                Citizens Advice to help with anything I don't understand. Get dressed and go \
                to the end of the road and back, even if it is raining. Use my breathing \
                exercises. Go to the Thursday walking group even if I only stay for the tea."
                .to_string(),
            crisis_help: "Having someone sit with me. Not being told to 'cheer up'. My \
                sister Thủy (07700 900461) can come over in the evenings. My GP knows me \
                well. If I feel unsafe I will ring NHS 111 (option 2) or the Samaritans on \
                116 123. What does not help: being left on hold, or being asked to repeat \
                my story to lots of people."
                .to_string(),
            written_on: d(2025, 3, 3),
            review_on: Some(d(2025, 6, 2)),
        }),
        goals: vec![
            Goal {
                text: "Walk to the park and back three times a week without needing to stop \
                    for breath"
                    .to_string(),
                five_ways: FiveWays::BeActive,
                steps: vec![
                    step(
                        "Walk to the end of the road and back each morning",
                        Some(d(2025, 3, 14)),
                        true,
                    ),
                    step(
                        "Walk to the post box on the corner, twice this week",
                        Some(d(2025, 3, 28)),
                        true,
                    ),
                    step(
                        "Join the Thursday walking group for the short route",
                        Some(d(2025, 4, 10)),
                        false,
                    ),
                    step(
                        "Walk to the park with Biscuit three times in one week",
                        Some(d(2025, 5, 1)),
                        false,
                    ),
                ],
                ratings: vec![
                    rating(d(2025, 3, 17), -1),
                    rating(d(2025, 4, 7), 0),
                    rating(d(2025, 5, 5), 1),
                ],
            },
            Goal {
                text: "Meet other people once a week so I don't feel so alone".to_string(),
                five_ways: FiveWays::Connect,
                steps: vec![
                    step(
                        "Ask Siobhán to come with me to the Tuesday coffee morning",
                        Some(d(2025, 3, 18)),
                        true,
                    ),
                    step(
                        "Go to the coffee morning on my own",
                        Some(d(2025, 4, 1)),
                        true,
                    ),
                    step(
                        "Swap phone numbers with someone at the group",
                        Some(d(2025, 4, 29)),
                        false,
                    ),
                ],
                ratings: vec![
                    rating(d(2025, 3, 17), 0),
                    rating(d(2025, 4, 7), 1),
                    rating(d(2025, 5, 5), 2),
                ],
            },
            Goal {
                text: "Sort out the money letters and find out if I can get help with my \
                    council tax"
                    .to_string(),
                five_ways: FiveWays::TakeNotice,
                steps: vec![
                    step(
                        "Put all the letters in one folder",
                        Some(d(2025, 3, 10)),
                        true,
                    ),
                    step(
                        "Book an appointment with Citizens Advice",
                        Some(d(2025, 3, 21)),
                        true,
                    ),
                    step(
                        "Take the folder to the appointment",
                        Some(d(2025, 4, 4)),
                        false,
                    ),
                ],
                ratings: vec![rating(d(2025, 4, 7), -1), rating(d(2025, 5, 5), 0)],
            },
            Goal {
                text: "Learn to use video calls on my tablet so I can see my grandchildren in \
                    Hà Nội"
                    .to_string(),
                five_ways: FiveWays::Learn,
                steps: vec![
                    step(
                        "Go to the library digital drop-in with my tablet",
                        Some(d(2025, 3, 25)),
                        true,
                    ),
                    step(
                        "Practise a video call with Łukasz at the drop-in",
                        Some(d(2025, 4, 8)),
                        false,
                    ),
                    step(
                        "Call Thủy on video on a Sunday",
                        Some(d(2025, 4, 27)),
                        false,
                    ),
                    step(
                        "Call my grandchildren on video",
                        Some(d(2025, 5, 18)),
                        false,
                    ),
                ],
                ratings: vec![rating(d(2025, 4, 7), 0)],
            },
            Goal {
                text: "Grow tomatoes and herbs in pots by the back door".to_string(),
                five_ways: FiveWays::TakeNotice,
                steps: vec![
                    step(
                        "Buy compost and seeds with Thủy",
                        Some(d(2025, 3, 30)),
                        true,
                    ),
                    step(
                        "Plant the seeds on the kitchen windowsill",
                        Some(d(2025, 4, 6)),
                        true,
                    ),
                    step(
                        "Move the pots outside when the frosts are over",
                        Some(d(2025, 5, 15)),
                        false,
                    ),
                ],
                ratings: vec![rating(d(2025, 4, 7), 1), rating(d(2025, 5, 5), 1)],
            },
            Goal {
                text: "Help at the community café one morning a month".to_string(),
                five_ways: FiveWays::Give,
                steps: vec![
                    step(
                        "Ask Siobhán how volunteering at the café works",
                        Some(d(2025, 4, 14)),
                        false,
                    ),
                    step(
                        "Have a chat with the café organiser, Ngozi",
                        Some(d(2025, 5, 12)),
                        false,
                    ),
                    step("Try a first morning helping with the teas", None, false),
                ],
                ratings: vec![],
            },
            Goal {
                text: "Use my inhalers properly every day and go to the breathing class"
                    .to_string(),
                five_ways: FiveWays::BeActive,
                steps: vec![
                    step(
                        "Ask the practice nurse to check how I use my inhaler",
                        Some(d(2025, 3, 20)),
                        true,
                    ),
                    step(
                        "Put a reminder sticker on the bathroom mirror",
                        Some(d(2025, 3, 21)),
                        true,
                    ),
                    step(
                        "Go to the Breathe Easy group taster session",
                        Some(d(2025, 4, 16)),
                        false,
                    ),
                ],
                ratings: vec![rating(d(2025, 4, 7), 0), rating(d(2025, 5, 5), 1)],
            },
            Goal {
                text: "Cook a proper meal from scratch twice a week instead of living on toast"
                    .to_string(),
                five_ways: FiveWays::Learn,
                steps: vec![
                    step(
                        "Pick two easy recipes from the library cookbook",
                        Some(d(2025, 4, 3)),
                        true,
                    ),
                    step(
                        "Write a shopping list and buy the ingredients",
                        Some(d(2025, 4, 10)),
                        true,
                    ),
                    step(
                        "Cook one of the recipes and invite Thủy for tea",
                        Some(d(2025, 4, 20)),
                        false,
                    ),
                    step(
                        "Try the 'cook and eat' session at the community café",
                        Some(d(2025, 5, 21)),
                        false,
                    ),
                ],
                ratings: vec![rating(d(2025, 4, 7), -2), rating(d(2025, 5, 5), -1)],
            },
        ],
        groups: vec![
            GroupBlock {
                name: "East Leake walking group".to_string(),
                what_happens: "A gentle walk of about 40 minutes on flat paths, with a short \
                    route for anyone who needs it. It ends with tea and biscuits at the \
                    community centre."
                    .to_string(),
                when: "Thursdays 13:30–15:00".to_string(),
                place: "Meet outside East Leake Library, Main Street".to_string(),
                postcode: "LE12 6PZ".to_string(),
                cost: "Free".to_string(),
                access: "Flat, step-free route; benches along the way; toilets at the \
                    community centre."
                    .to_string(),
                contact: "Łukasz Nowak, walk leader, 07700 900123".to_string(),
            },
            GroupBlock {
                name: "Tuesday coffee morning".to_string(),
                what_happens: "A friendly drop-in for a cuppa and a chat. Board games, a \
                    book swap and a quiz once a month."
                    .to_string(),
                when: "Tuesdays 10:00–12:00".to_string(),
                place: "St Mary's Church Hall, Church Street, Bingham".to_string(),
                postcode: "NG13 8AL".to_string(),
                cost: "£1 for drinks and cake".to_string(),
                access: "Step-free entrance, hearing loop, accessible toilet.".to_string(),
                contact: "Margaret Doyle, 0115 496 0789".to_string(),
            },
            GroupBlock {
                name: "Library digital drop-in".to_string(),
                what_happens: "Volunteers help you use your phone, tablet or laptop: video \
                    calls, email, online forms, NHS App. Bring your own device or borrow one."
                    .to_string(),
                when: "Wednesdays 14:00–16:00 (no need to book)".to_string(),
                place: "West Bridgford Library, Bridgford Road".to_string(),
                postcode: "NG2 6AT".to_string(),
                cost: "Free".to_string(),
                access: "Lift to all floors; large-print guides available.".to_string(),
                contact: "Ask at the library desk, or Łukasz Nowak, 07700 900123".to_string(),
            },
            GroupBlock {
                name: "Breathe Easy support group".to_string(),
                what_happens: "For people living with a lung condition and their carers: \
                    gentle exercise, breathing techniques and talks from health professionals."
                    .to_string(),
                when: "First Monday of the month, 14:00–15:30".to_string(),
                place: "Rushcliffe Arena, Rugby Road, West Bridgford".to_string(),
                postcode: "NG2 7YG".to_string(),
                cost: "Free (donations welcome)".to_string(),
                access: "Step-free, parking by the door, seated exercises.".to_string(),
                contact: "Anjali Patel, 0115 496 0234".to_string(),
            },
            GroupBlock {
                name: "Cotgrave community café".to_string(),
                what_happens: "Hot meals and cakes made by volunteers; a warm space to sit, \
                    read the paper and meet people. New volunteers are always welcome."
                    .to_string(),
                when: "Mondays, Wednesdays and Fridays 09:30–13:30".to_string(),
                place: "Cotgrave Welfare, Woodview".to_string(),
                postcode: "NG12 3PJ".to_string(),
                cost: "Pay what you can; soup is £1.50".to_string(),
                access: "Step-free; bus 6 stops outside.".to_string(),
                contact: "Ngozi Okafor, café organiser, 07700 900987".to_string(),
            },
            GroupBlock {
                name: "Citizens Advice money clinic".to_string(),
                what_happens: "Free, confidential help with benefits, bills, debt and \
                    council tax. Bring any letters you have."
                    .to_string(),
                when: "Fridays 10:00–12:00, by appointment".to_string(),
                place: "Rushcliffe Community Contact Centre, Bridgford Road".to_string(),
                postcode: "NG2 6AT".to_string(),
                cost: "Free".to_string(),
                access: "Ground floor; interpreters can be booked, including Vietnamese."
                    .to_string(),
                contact: "0808 278 7900 (freephone)".to_string(),
            },
            GroupBlock {
                name: "Radcliffe community allotment".to_string(),
                what_happens: "Grow fruit, vegetables and flowers alongside other people. \
                    Raised beds for anyone who finds bending difficult; tools, seeds and advice \
                    provided. Tea break at 11."
                    .to_string(),
                when: "Saturdays 10:00–12:30, March to October".to_string(),
                place: "Radcliffe-on-Trent allotments, off Shelford Road".to_string(),
                postcode: "NG12 1AZ".to_string(),
                cost: "Free for the first month, then £2 a session".to_string(),
                access: "Gravel paths; raised beds; a shelter and chemical toilet on site."
                    .to_string(),
                contact: "Siobhán Ó Briain (link worker) can introduce you, 0115 496 0321"
                    .to_string(),
            },
        ],
        next_steps: Some(NextSteps {
            next_appointment: Some(
                "Thursday 15 May 2025 at 11:00 with Siobhán, at Musters Medical Practice \
                 (Room 4). Bring your Green Book and the money folder."
                    .to_string(),
            ),
            actions_agreed: vec![
                "Zoë: go to the Thursday walking group and try the short route".to_string(),
                "Zoë: take the money folder to Citizens Advice on Friday 4 April".to_string(),
                "Siobhán: ask the Breathe Easy group if Zoë can come to a taster session"
                    .to_string(),
                "Siobhán: send the library drop-in times by text".to_string(),
            ],
        }),
        measures: vec![
            MeasureLine {
                label: "Life satisfaction".to_string(),
                value: "5 out of 10 in March; 7 out of 10 in May".to_string(),
            },
            MeasureLine {
                label: "Feeling lonely".to_string(),
                value: "Often in March; some of the time in May".to_string(),
            },
        ],
    }
}

/// A synthetic directory entry for a standalone service page.
pub fn sample_service_page() -> ServicePage {
    ServicePage {
        name: "East Leake walking group".to_string(),
        description: "A friendly, gentle walk for people who want to be a bit more active \
            and meet others. Started by local link workers and now run by volunteers. You can \
            come on your own or bring a friend; someone will meet you at the start."
            .to_string(),
        categories: vec![
            "Physical activity".to_string(),
            "Community activities".to_string(),
        ],
        what_happens: "About 40 minutes on flat paths, with a shorter route for anyone who \
            needs it, then tea and biscuits."
            .to_string(),
        when: "Thursdays 13:30–15:00".to_string(),
        place: "Meet outside East Leake Library, Main Street".to_string(),
        postcode: "LE12 6PZ".to_string(),
        cost: "Free".to_string(),
        access: "Flat, step-free route; benches along the way; toilets at the community centre."
            .to_string(),
        contact: "Łukasz Nowak, walk leader, 07700 900123".to_string(),
        last_checked: Some(d(2025, 2, 20)),
    }
}
