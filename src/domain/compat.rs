//! Can this power point run these devices? The one rule every answer and audit shares.

use super::{ChildProps, Device, OutletType, PowerPointProps, Status};

/// What a family asks for when it searches without a registered child.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PowerNeed {
    /// Outlet type wanted; any type when `None`.
    pub outlet: Option<OutletType>,
    /// Watts one outlet and the point as a whole must deliver.
    pub min_w: Option<f64>,
    /// Only pure-sine points.
    pub pure_sine: bool,
    /// Also points reported `unavailable`.
    pub include_unavailable: bool,
}

impl PowerNeed {
    /// The contract's rule for `GET /nearest/power`.
    pub fn admits(&self, p: &PowerPointProps) -> bool {
        let min_w = self.min_w.unwrap_or(0.0);
        p.has_outlet(self.outlet, min_w)
            && p.capacity_w >= min_w
            && (!self.pure_sine || p.pure_sine)
            && (self.include_unavailable || p.status != Status::Unavailable)
    }
}

/// Whether `p` can run all of `devices` at once: one outlet of the device's input type with
/// `max_w >= rated_w` per device, pure sine if any device needs it, and total capacity.
///
/// Within one outlet type the slots and the devices are each ordered by watts, so a
/// matching exists exactly when the i-th largest device fits the i-th largest slot
/// (Hall's condition for nested neighbourhoods); no search is needed.
pub fn can_run_all<'a>(p: &PowerPointProps, devices: impl IntoIterator<Item = &'a Device>) -> bool {
    let devices: Vec<&Device> = devices.into_iter().collect();
    if devices.iter().any(|d| d.pure_sine_required) && !p.pure_sine {
        return false;
    }
    let load: f64 = devices.iter().map(|d| d.rated_w).sum();
    if p.capacity_w < load {
        return false;
    }
    [OutletType::Ac100v, OutletType::Dc12v, OutletType::Usb].into_iter().all(|kind| {
        let mut needs: Vec<f64> = devices.iter().filter(|d| d.input == kind).map(|d| d.rated_w).collect();
        if needs.is_empty() {
            return true;
        }
        let mut slots: Vec<f64> = p
            .outlets
            .iter()
            .filter(|o| o.kind == kind)
            .flat_map(|o| std::iter::repeat_n(o.max_w, o.count as usize).take(needs.len()))
            .collect();
        if slots.len() < needs.len() {
            return false;
        }
        needs.sort_by(|a, b| b.total_cmp(a));
        slots.sort_by(|a, b| b.total_cmp(a));
        needs.iter().zip(&slots).all(|(need, slot)| slot >= need)
    })
}

/// The contract's rule for a child: runs all life-critical devices, is not `unavailable`,
/// and is not charge-only unless the caller accepts charge-only points.
pub fn serves_child(p: &PowerPointProps, child: &ChildProps, include_charge_only: bool) -> bool {
    p.status != Status::Unavailable && (include_charge_only || !p.charge_only) && can_run_all(p, child.life_critical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::child::tests::{child_with, device};
    use crate::domain::{DeviceKind, Outlet, PowerPointKind};

    fn point(outlets: &[(OutletType, u32, f64)], capacity_w: f64, pure_sine: bool) -> PowerPointProps {
        PowerPointProps {
            name: "p".into(),
            kind: PowerPointKind::Generator,
            outlets: outlets.iter().map(|&(kind, count, max_w)| Outlet { kind, count, max_w }).collect(),
            capacity_w,
            pure_sine,
            grid_independent: true,
            fuel_h: None,
            charge_only: false,
            status: Status::Available,
            status_updated_at: None,
            last_verified: None,
            address: None,
            district: None,
            hours: None,
            requires_registration: false,
            call_first: false,
            session_limit_min: None,
            contact: None,
            notes: None,
            live: None,
        }
    }

    use OutletType::{Ac100v, Dc12v, Usb};

    fn vent() -> Device {
        let mut d = device(DeviceKind::Ventilator, Ac100v, 150.0, 6.0);
        d.pure_sine_required = true;
        d
    }

    #[test]
    fn one_outlet_per_device() {
        let two = [vent(), device(DeviceKind::Suction, Ac100v, 80.0, 1.0)];
        assert!(!can_run_all(&point(&[(Ac100v, 1, 1500.0)], 1500.0, true), &two));
        assert!(can_run_all(&point(&[(Ac100v, 2, 1500.0)], 1500.0, true), &two));
        assert!(can_run_all(&point(&[(Ac100v, 1, 200.0), (Ac100v, 1, 100.0)], 1500.0, true), &two));
    }

    #[test]
    fn the_big_device_needs_the_big_outlet() {
        let two = [vent(), device(DeviceKind::Suction, Ac100v, 80.0, 1.0)];
        // 150 W fits only the 200 W outlet; 80 W must then fit a 60 W one: no.
        assert!(!can_run_all(&point(&[(Ac100v, 1, 200.0), (Ac100v, 1, 60.0)], 1500.0, true), &two));
    }

    #[test]
    fn outlet_types_do_not_substitute() {
        let pump = [device(DeviceKind::FeedingPump, Dc12v, 5.0, 10.0)];
        assert!(!can_run_all(&point(&[(Ac100v, 4, 1500.0), (Usb, 2, 10.0)], 1500.0, true), &pump));
        assert!(can_run_all(&point(&[(Dc12v, 1, 120.0)], 120.0, false), &pump));
    }

    #[test]
    fn pure_sine_is_required_when_any_device_needs_it() {
        assert!(!can_run_all(&point(&[(Ac100v, 2, 900.0)], 900.0, false), &[vent()]));
        assert!(can_run_all(&point(&[(Ac100v, 2, 900.0)], 900.0, true), &[vent()]));
    }

    #[test]
    fn capacity_bounds_the_sum_of_rated_watts() {
        let two = [vent(), device(DeviceKind::OxygenConcentrator, Ac100v, 300.0, 0.0)];
        assert!(!can_run_all(&point(&[(Ac100v, 2, 500.0)], 449.0, true), &two));
        assert!(can_run_all(&point(&[(Ac100v, 2, 500.0)], 450.0, true), &two));
    }

    #[test]
    fn child_rule_ignores_non_critical_devices_and_respects_status_and_charge_only() {
        let mut oximeter = device(DeviceKind::PulseOximeter, Usb, 2.0, 1.0);
        oximeter.life_critical = false;
        let child = child_with(vec![vent(), oximeter]);
        let mut p = point(&[(Ac100v, 1, 300.0)], 300.0, true);
        assert!(serves_child(&p, &child, false), "no USB outlet needed for a non-critical oximeter");
        p.charge_only = true;
        assert!(!serves_child(&p, &child, false));
        assert!(serves_child(&p, &child, true));
        p.charge_only = false;
        p.status = Status::Unavailable;
        assert!(!serves_child(&p, &child, true));
    }

    #[test]
    fn public_need_checks_outlet_watts_capacity_sine_and_status() {
        let p = point(&[(Ac100v, 2, 900.0), (Usb, 4, 10.0)], 1000.0, false);
        let need = |outlet, min_w| PowerNeed { outlet, min_w, ..PowerNeed::default() };
        assert!(need(Some(Usb), Some(5.0)).admits(&p));
        assert!(!need(Some(Usb), Some(15.0)).admits(&p), "USB outlets give only 10 W");
        assert!(need(None, Some(900.0)).admits(&p));
        assert!(!need(None, Some(950.0)).admits(&p), "no outlet gives 950 W");
        assert!(!need(Some(Dc12v), None).admits(&p));
        assert!(!PowerNeed { pure_sine: true, ..PowerNeed::default() }.admits(&p));
        let mut off = p.clone();
        off.status = Status::Unavailable;
        assert!(!need(None, None).admits(&off));
        assert!(PowerNeed { include_unavailable: true, ..PowerNeed::default() }.admits(&off));
    }
}
